"""Sign-in with lockout and a second factor, invitations, password reset, roles and tokens."""

import json
import re

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import totp

from fullvalue.domain.roles import Role
from fullvalue.errors import Conflict, FullvalueError, PermissionDenied
from fullvalue.web.accounts.models import ApiToken, Membership, User
from fullvalue.web.accounts.services import (
    actor_for_token,
    api_token_revoke,
    invitation_accept,
    invitation_create,
)
from tests.web.factories import PASSWORD, totp_for

pytestmark = pytest.mark.django_db


def code_for(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=6):06d}"


def post_sign_in(client, email, password=PASSWORD, **extra):
    return client.post(reverse("sign-in"), {"email": email, "password": password, **extra})


def test_provider_signs_in_with_password_only(client, make_member):
    member = make_member(Role.PROVIDER_STAFF)
    response = post_sign_in(client, member.user.email)
    assert response.status_code == 302 and response.url == reverse("dashboard")
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    assert "Provider staff" in page.content.decode()


def test_wrong_password_shows_error_summary_linking_to_field(client, make_member):
    member = make_member(Role.PROVIDER_STAFF)
    response = post_sign_in(client, member.user.email, "wrong")
    body = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in body and 'href="#email"' in body
    assert client.get(reverse("dashboard")).status_code == 302


def test_lockout_after_repeated_failures(client, make_member):
    member = make_member(Role.PROVIDER_STAFF)
    for _ in range(5):
        post_sign_in(client, member.user.email, "wrong")
    response = post_sign_in(client, member.user.email)  # right password, but locked out
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302


def test_commissioner_needs_a_second_factor(client, make_member):
    member = make_member(Role.COMMISSIONER)
    device = totp_for(member.user)
    response = post_sign_in(client, member.user.email)
    assert response.url == reverse("sign-in-verify")
    # Not signed in yet: the dashboard still asks for sign-in.
    assert client.get(reverse("dashboard")).status_code == 302
    bad = client.post(reverse("sign-in-verify"), {"code": "000000"})
    assert bad.status_code == 400
    # A failure throttles the device: even the right code is refused straight afterwards.
    throttled = client.post(reverse("sign-in-verify"), {"code": code_for(device)})
    assert throttled.status_code == 400
    device.refresh_from_db()
    device.throttle_reset()
    good = client.post(reverse("sign-in-verify"), {"code": code_for(device)})
    assert good.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_first_sign_in_enrols_an_authenticator(client, make_member):
    member = make_member(Role.EVALUATOR)
    response = post_sign_in(client, member.user.email)
    assert response.url == reverse("two-factor-setup")
    page = client.get(reverse("two-factor-setup"))
    assert "<svg" in page.content.decode()
    device = member.user.totpdevice_set.get(confirmed=False)
    done = client.post(reverse("two-factor-setup"), {"code": code_for(device)})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("dashboard")).status_code == 200
    from fullvalue.web.audit.models import AuditEvent

    actions = list(
        AuditEvent.objects.filter(object_type="user", object_id=str(member.user.id))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["second_factor.start", "second_factor.enrol"]


def test_session_without_verified_device_is_anonymous(client, make_member):
    """A commissioner logged in without the OTP step must not act (defence in depth)."""
    member = make_member(Role.COMMISSIONER)
    client.force_login(member.user)
    assert client.get(reverse("dashboard")).status_code == 302


def test_invitation_flow(client, make_member, actor_for):
    admin = make_member(Role.PROVIDER_ADMIN)
    invitation, token = invitation_create(
        actor=actor_for(admin),
        email="New.Person@example.org",
        organisation_id=admin.organisation_id,
        role=Role.PROVIDER_STAFF.value,
    )
    assert invitation.email == "new.person@example.org"
    page = client.get(reverse("invitation-accept", args=[token]))
    assert admin.organisation.name in page.content.decode()
    weak = client.post(
        reverse("invitation-accept", args=[token]), {"full_name": "", "password": "123"}
    )
    assert weak.status_code == 400
    ok = client.post(
        reverse("invitation-accept", args=[token]),
        {"full_name": "New Person", "password": "a-long-enough-passphrase"},
    )
    assert ok.status_code == 302
    assert Membership.objects.filter(
        user__email="new.person@example.org",
        role="provider_staff",
        organisation=admin.organisation,
    ).exists()
    assert client.get(reverse("invitation-accept", args=[token])).status_code == 404


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_invitation_email_is_sent_by_the_worker(
    make_member, actor_for, django_capture_on_commit_callbacks
):
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    admin = make_member(Role.PROVIDER_ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            actor=actor_for(admin),
            email="x@example.org",
            organisation_id=admin.organisation_id,
            role="provider_staff",
        )
    assert len(mail.outbox) == 0  # queued, not sent inline
    assert DBTaskResult.objects.filter(task_path__endswith="send_invitation_email").count() == 1
    call_command("db_worker", batch=True, interval=0, verbosity=0)
    assert len(mail.outbox) == 1
    assert re.search(r"/invitations/[\w-]+/", mail.outbox[0].body)
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.parametrize(
    ("inviter", "role", "own"),
    [
        (Role.PROVIDER_ADMIN, Role.COMMISSIONER, True),
        (Role.PROVIDER_STAFF, Role.PROVIDER_STAFF, True),
        (Role.COMMISSIONER, Role.PROVIDER_ADMIN, True),
        (Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF, False),
        (Role.AUDITOR, Role.AUDITOR, True),
    ],
)
def test_invitation_denials(make_member, actor_for, inviter, role, own):
    member = make_member(inviter)
    target = member.organisation_id if own else make_member(Role.PROVIDER_ADMIN).organisation_id
    with pytest.raises(PermissionDenied):
        invitation_create(
            actor=actor_for(member), email="a@example.org", organisation_id=target, role=role.value
        )


def test_invitation_bad_input_names_fields(make_member, actor_for):
    admin = make_member(Role.PROVIDER_ADMIN)
    with pytest.raises(FullvalueError) as exc:
        invitation_create(
            actor=actor_for(admin),
            email="nope",
            organisation_id=admin.organisation_id,
            role="emperor",
        )
    assert {p.column for p in exc.value.problems} == {"email", "role"}


def test_existing_user_must_sign_in_to_accept(make_member, actor_for):
    admin = make_member(Role.PROVIDER_ADMIN)
    existing = make_member(Role.PROVIDER_STAFF).user
    _, token = invitation_create(
        actor=actor_for(admin),
        email=existing.email,
        organisation_id=admin.organisation_id,
        role="provider_staff",
    )
    with pytest.raises(Conflict):
        invitation_accept(token=token, full_name="X", password="a-long-enough-passphrase")
    membership = invitation_accept(token=token, user=existing)
    assert membership.organisation_id == admin.organisation_id


def test_password_reset(client, make_member):
    member = make_member(Role.PROVIDER_STAFF)
    client.post(reverse("password-reset"), {"email": member.user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/password-reset/[^\s]+)", mail.outbox[0].body).group(1)
    short = client.post(link, {"new_password1": "short", "new_password2": "short"})
    assert short.status_code == 400
    done = client.post(
        link, {"new_password1": "brand-new-passphrase-9", "new_password2": "brand-new-passphrase-9"}
    )
    assert done.status_code == 302
    assert client.post(link, {}).status_code == 400  # the link works once
    assert post_sign_in(client, member.user.email, "brand-new-passphrase-9").status_code == 302
    from fullvalue.web.audit.models import AuditEvent

    event = AuditEvent.objects.get(action="password.reset")
    assert event.object_id == str(member.user.id) and event.actor_email == member.user.email
    assert event.changes == {"password": [None, "changed"]}  # never the password or its hash
    member.user.refresh_from_db()
    assert member.user.password[:20] not in json.dumps(event.changes)


def test_password_reset_does_not_reveal_unknown_addresses(client):
    response = client.post(reverse("password-reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302 and len(mail.outbox) == 0


def test_switch_role(signed_in, make_member):
    member = make_member(Role.PROVIDER_ADMIN)
    second = Membership.objects.create(
        user=member.user,
        organisation=make_member(Role.PROVIDER_ADMIN).organisation,
        role="provider_staff",
    )
    client = signed_in(member)
    client.post(reverse("switch-role"), {"membership": str(second.id)})
    assert "Provider staff" in client.get(reverse("dashboard")).content.decode()


def test_tokens_are_hashed_scoped_and_revocable(signed_in, make_member, actor_for):
    member = make_member(Role.PROVIDER_ADMIN)
    client = signed_in(member)
    client.post(reverse("token-create"), {"name": "returns"})
    page = client.get(reverse("account")).content.decode()
    secret = re.search(r"(fv_[0-9a-f]{8}_[\w-]+)", page).group(1)
    token = ApiToken.objects.get()
    assert secret.split("_", 2)[2] not in token.token_hash
    actor = actor_for_token(secret)
    assert actor.organisation_id == member.organisation_id and actor.role == Role.PROVIDER_ADMIN
    assert actor_for_token(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    api_token_revoke(actor=actor_for(member), token_id=token.id)
    assert actor_for_token(secret) is None


def test_sign_out_requires_post(client, signed_in, make_member):
    c = signed_in(make_member(Role.PROVIDER_STAFF))
    assert c.get(reverse("sign-out")).status_code == 405
    c.post(reverse("sign-out"))
    assert c.get(reverse("dashboard")).status_code == 302


def test_users_are_stored_with_hashed_passwords(make_member):
    user = make_member(Role.PROVIDER_STAFF).user
    assert PASSWORD not in User.objects.get(id=user.id).password


def test_a_used_code_says_it_was_already_used(client, make_member):
    member = make_member(Role.COMMISSIONER, legal_form="public_body", sector="public")
    device = totp_for(member.user)
    code = code_for(device)
    post_sign_in(client, member.user.email)
    assert client.post(reverse("sign-in-verify"), {"code": code}).status_code == 302
    client.post(reverse("sign-out"))
    post_sign_in(client, member.user.email)
    again = client.post(reverse("sign-in-verify"), {"code": code})
    assert again.status_code == 400
    assert "That code has already been used" in again.content.decode()
    wrong = client.post(reverse("sign-in-verify"), {"code": f"{(int(code) + 1) % 10**6:06d}"})
    assert "already been used" not in wrong.content.decode()


def test_an_evaluator_with_another_role_lands_on_the_panel(client, world, make_member):
    from fullvalue.web.programmes.services import programme_create
    from fullvalue.web.tendering.models import EvaluatorAssignment, Tender
    from fullvalue.web.tendering.services import tender_create, tender_publish
    from tests.web.cycle import START, programme_data, tender_data

    c = world["commissioner"]
    other_commissioner = make_member(Role.COMMISSIONER, legal_form="public_body", sector="public")
    tender = tender_create(
        actor=c,
        programme_id=programme_create(actor=c, data=programme_data()).id,
        data=tender_data(),
    )
    tender_publish(actor=c, tender_id=tender.id, now=START)
    # A commissioner elsewhere who also sits on this panel: the panel is the second membership.
    person = other_commissioner.user
    evaluator = Membership.objects.create(
        user=person, organisation_id=c.organisation_id, role=Role.EVALUATOR.value
    )
    device = totp_for(evaluator.user)
    post_sign_in(client, evaluator.user.email)
    landed = client.post(reverse("sign-in-verify"), {"code": code_for(device)})
    assert landed.url == reverse("dashboard")  # no panel is waiting yet
    client.post(reverse("sign-out"))

    EvaluatorAssignment.objects.create(tender=tender, evaluator=evaluator)
    Tender.objects.filter(id=tender.id).update(status=Tender.Status.EVALUATION)
    device.refresh_from_db()
    device.last_t = -1  # a fresh code for the second sign-in within the same 30 seconds
    device.save()
    post_sign_in(client, evaluator.user.email)
    landed = client.post(reverse("sign-in-verify"), {"code": code_for(device)})
    assert landed.url == reverse("tender-evaluation", args=[tender.id])
    page = client.get(landed.url)
    assert page.status_code == 200 and "declare any conflict" in page.content.decode()
