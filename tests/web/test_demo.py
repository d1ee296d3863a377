"""The demo world: believable, deterministic, one login per role, second factors enrolled."""

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from fullvalue.domain.roles import Role, needs_second_factor
from fullvalue.errors import PermissionDenied
from fullvalue.web.accounts.models import Membership, User
from fullvalue.web.audit.verify import verify_audit
from fullvalue.web.demo.services import demo_totp_code
from fullvalue.web.demo.world import LOGINS, ORGANISATIONS, TEAM_LOGINS, build_demo_world
from fullvalue.web.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def test_demo_world_has_every_role_and_the_market_it_describes():
    build_demo_world()
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {r.value for r in Role}
    assert Organisation.objects.count() == len(ORGANISATIONS) >= 25
    voluntary = Organisation.objects.filter(sector="voluntary")
    bands = {o.size_band.value for o in voluntary if o.size_band}
    assert bands == {"micro", "small", "medium", "large", "major"}
    assert voluntary.filter(led_by_women=True).exists()
    assert voluntary.filter(led_by_black_minoritised=True).exists()
    assert voluntary.filter(led_by_lived_experience=True).exists()
    assert Organisation.objects.filter(legal_form="pcc").count() == 3
    assert Organisation.objects.filter(sector="private").count() >= 2
    for login in LOGINS:
        has_device = TOTPDevice.objects.filter(user__email=login.email, confirmed=True).exists()
        assert has_device == login.needs_code
    # everyone in the demo whose roles need a second factor can sign in with `script/demo-code`
    for user in User.objects.all():
        roles = {Role(r) for r in user.memberships.values_list("role", flat=True)}
        has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        assert has_device == needs_second_factor(roles), user.email
    assert Membership.objects.filter(role=Role.COMMUNITY_MEMBER.value).count() >= 2
    # The Right to Challenge: one waiting and overdue, one rejected, one that started a tender.
    from django.utils import timezone

    from fullvalue.web.challenges import selectors as challenges

    register = {
        i.outcome: (challenges.overdue(i, timezone.localdate()), challenges.ocid_of(i))
        for i in challenges.interests_listed()
    }
    assert set(register) == {"pending", "rejected", "accepted"}
    assert register["pending"][0] and not register["rejected"][0] and not register["accepted"][0]
    assert register["accepted"][1] is not None
    assert verify_audit().ok


def test_demo_world_is_deterministic():
    build_demo_world()
    first = list(Organisation.objects.order_by("id").values_list("name", "slug", "annual_income"))
    assert first[0][0] == "Ministry of Justice (HMPPS)"
    assert [o["name"] for o in ORGANISATIONS] == [f[0] for f in first]


def test_load_demo_command_prints_logins_once_loaded(capsys):
    call_command("load_demo")
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "Demo world loaded." in out and "Demo world already loaded." in out
    assert "commissioner@demo.fullvalue.test" in out
    # Each line names the organisation the person acts for.
    assert "finance@demo.fullvalue.test" in out and "Ministry of Justice (HMPPS)" in out
    for login in [*LOGINS, *TEAM_LOGINS]:
        lines = [x for x in out.splitlines() if f" {login.email} " in x]
        assert len(lines) == 2 and all(login.organisation in line for line in lines)


def test_every_journey_has_its_people_in_the_demo():
    """Every evaluator on a panel has a printed login, a second commissioner can approve the
    prepared payment run, and a tender past standstill waits for its contract."""
    from django.utils import timezone

    from fullvalue.web.payruns.models import PaymentRun
    from fullvalue.web.tendering.models import Award, EvaluatorAssignment

    build_demo_world()
    printed = {login.email: login for login in [*LOGINS, *TEAM_LOGINS]}
    for a in EvaluatorAssignment.objects.select_related(
        "evaluator__user", "evaluator__organisation"
    ):
        assert a.evaluator.user.email in printed, a.evaluator.user.email
    for login in printed.values():
        assert Membership.objects.filter(
            user__email=login.email, organisation__name=login.organisation, role=login.role.value
        ).exists(), login.email
    run = PaymentRun.objects.get(status="prepared")
    approvers = Membership.objects.filter(
        organisation_id=run.contract.commissioner_id, role="commissioner"
    ).exclude(user_id=run.prepared_by_id)
    assert approvers.filter(user__email__in=printed).exists()
    ended = Award.objects.filter(status="standstill", standstill_ends_on__lt=timezone.localdate())
    assert ended.count() == 1
    assert ended.get().lot.tender.commissioner.name == "Ministry of Justice (HMPPS)"


def test_demo_code_only_on_the_demo_database(monkeypatch):
    monkeypatch.setenv("FULLVALUE_DEMO", "1")
    with pytest.raises(PermissionDenied):
        demo_totp_code("commissioner@demo.fullvalue.test")  # no demo world yet
    build_demo_world()
    code = demo_totp_code("commissioner@demo.fullvalue.test")
    assert code[:6].isdigit()
    monkeypatch.delenv("FULLVALUE_DEMO")
    with pytest.raises(PermissionDenied):
        demo_totp_code("commissioner@demo.fullvalue.test")


def test_demo_world_has_tenders_at_every_stage():
    from fullvalue.web.contracts.models import Contract
    from fullvalue.web.tendering.models import Bid, Consensus, Tender

    build_demo_world()
    assert set(Tender.objects.values_list("status", flat=True)) == {
        "open",
        "evaluation",
        "standstill",
        "awarded",
    }
    assert Bid.objects.filter(parties__role="member").distinct().count() >= 2  # consortia
    assert Bid.objects.filter(parties__role="subcontractor").exists()
    assert Consensus.objects.exists() and Contract.objects.filter(award__isnull=False).count() == 1
    assert Contract.objects.filter(award__isnull=True, kind="grant").count() == 1  # entered
    assert verify_audit().ok


def test_demo_world_has_a_contract_in_delivery():
    from fullvalue.web.delivery.models import Claim, Participant
    from fullvalue.web.payruns.models import FlowDownPayment, PaymentRun

    build_demo_world()
    assert Participant.objects.count() == 50
    assert set(Claim.objects.values_list("status", flat=True)) == {
        "submitted",
        "accepted",
        "rejected",
        "disputed",
    }
    assert set(PaymentRun.objects.values_list("status", flat=True)) == {"prepared", "approved"}
    late = FlowDownPayment.objects.get()
    assert late.paid_on > late.due_on  # a sub-contractor paid late, for the commissioner to see
    from fullvalue.web.contracts.models import KpiObservation
    from fullvalue.web.delivery.models import OutcomeEvent, ReoffendingResult

    assert KpiObservation.objects.count() == 2
    assert OutcomeEvent.objects.filter(evidence_file__isnull=False).count() == 1
    assert Claim.objects.filter(sampled_at__isnull=False).count() == 1
    prepared = PaymentRun.objects.get(status="prepared")
    assert any("grant" in line["reason"] for line in prepared.lines)  # from the JDL result
    assert ReoffendingResult.objects.get().size == 48


def test_demo_ocds_carries_implementation(client):
    build_demo_world()
    package = client.get("/api/v1/ocds/releases?limit=50").json()
    implementation = [r for r in package["releases"] if "implementation" in r["tag"]]
    assert implementation
    detail = implementation[0]["contracts"][0]["implementation"]
    assert detail["transactions"] and detail["milestones"] and detail["metrics"]


def test_demo_small_charity_can_bid_with_a_partner_from_the_finder():
    """With demo logins: Black Mentors Collective (three people) bids for the reserved lot with
    Workwise Futures CIC, listed in the partner finder, as its confirmed sub-contractor."""
    from fullvalue.web.accounts.services import actor_for_membership
    from fullvalue.web.demo.world import DEMO_DOMAIN
    from fullvalue.web.tendering import partnering, selectors
    from fullvalue.web.tendering import services as t
    from fullvalue.web.tendering.models import PartnerInterest, Tender

    build_demo_world()
    logins = {login.email for login in LOGINS}
    admin_email, partner_email = f"admin.bmc@{DEMO_DOMAIN}", f"admin.workwise@{DEMO_DOMAIN}"
    assert {admin_email, partner_email, f"staff@{DEMO_DOMAIN}"} <= logins

    def actor(email):
        return actor_for_membership(Membership.objects.get(user__email=email))

    admin, staff, partner = actor(admin_email), actor(f"staff@{DEMO_DOMAIN}"), actor(partner_email)
    charity = Organisation.objects.get(id=admin.organisation_id)
    assert charity.memberships.filter(is_active=True).count() == 3
    lot = Tender.objects.get(status="open").lots.get(reserved_for_small=True)
    entry = PartnerInterest.objects.get(lot=lot, organisation_id=partner.organisation_id)
    assert selectors.bid_blockers(admin, lot) == []
    message = partnering.partner_message_send(
        actor=staff, recipient_id=entry.organisation_id, lot_id=lot.id, body="Shall we bid?"
    )
    partnering.partner_message_reply(
        actor=partner, message_id=message.id, reply="Yes.", share_contact=True
    )
    tender = lot.tender
    quality = tender.criteria.filter(kind="quality")
    contents = {
        "price": "440000",
        "answers": {str(c.id): "Mentoring by men who have been there." for c in quality},
        "pass_fail": {str(q.id): True for q in tender.pass_fail.all()},
        "declarations": {"exclusion_grounds": False},
    }
    parties = [
        {
            "organisation_id": charity.id,
            "role": "lead",
            "share_of_value": "0.85",
            "share_of_work": "0.8",
            "carries_working_capital": True,
        },
        {
            "organisation_id": partner.organisation_id,
            "role": "subcontractor",
            "share_of_value": "0.15",
            "share_of_work": "0.2",
        },
    ]
    draft = t.bid_draft_save(actor=staff, lot_id=lot.id, contents=contents, parties=parties)
    t.bid_party_confirm(actor=partner, bid_id=draft.id)
    assert t.bid_submit_draft(actor=admin, bid_id=draft.id).status == "submitted"
    assert verify_audit().ok
