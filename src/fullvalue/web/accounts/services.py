"""Writes for people and access: invitations, memberships, second factors and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from fullvalue.domain.roles import MAY_INVITE, Role
from fullvalue.errors import Conflict, FullvalueError, NotFound, PermissionDenied, Problem
from fullvalue.web.accounts.models import ApiToken, Invitation, Membership, User
from fullvalue.web.audit.services import audit_record
from fullvalue.web.kernel.actor import Actor

INVITATION_DAYS = 14
TOKEN_PREFIX = "fv_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def actor_for_membership(membership: Membership, *, via: str = "web") -> Actor:
    """The actor a person becomes when acting through one of their memberships."""
    return Actor(
        user_id=membership.user_id,
        email=membership.user.email,
        membership_id=membership.id,
        organisation_id=membership.organisation_id,
        role=Role(membership.role),
        via=via,
        full_name=membership.user.full_name,
        organisation_name=membership.organisation.name,
    )


def _check_password(password: str, user: User | None, field: str = "password") -> list[Problem]:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        return [Problem(message, column=field) for message in exc.messages]
    return []


@transaction.atomic
def invitation_create(
    *, actor: Actor, email: str, organisation_id: int, role: str
) -> tuple[Invitation, str]:
    """Invite someone by email to hold ``role`` in an organisation; returns the link token.

    Commissioners invite commissioners and evaluators to their own organisation; provider
    administrators invite provider staff and administrators to theirs; system administrators
    invite anyone anywhere.
    """
    actor.require_can_write()
    if actor.user_id is None:
        raise PermissionDenied("Invitations are sent by a signed-in person.")
    problems: list[Problem] = []
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        problems.append(
            Problem(
                "Enter an email address in the correct format, like name@example.org",
                column="email",
            )
        )
    if role not in Role.__members__.values():
        problems.append(Problem("Choose a role", column="role"))
    if problems:
        raise FullvalueError.from_problems("The invitation needs correcting.", problems)
    allowed = MAY_INVITE.get(actor.role) if actor.role else None
    if not allowed or Role(role) not in allowed:
        raise PermissionDenied("Your role cannot invite people into that role.")
    if not actor.is_system_admin and not actor.belongs_to(organisation_id):
        raise PermissionDenied("You can only invite people to your own organisation.")
    if Membership.objects.filter(
        user__email=email, organisation_id=organisation_id, role=role
    ).exists():
        raise Conflict(
            "That person already has this role here.",
            [Problem("That person already has this role here", column="email")],
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        organisation_id=organisation_id,
        role=role,
        token_hash=_hash(token),
        invited_by_id=actor.user_id,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    audit_record(
        actor=actor,
        action="invitation.create",
        object_type="invitation",
        object_id=invitation.id,
        object_repr=email,
        after={"email": email, "role": role, "organisation_id": organisation_id},
        organisation_id=organisation_id,
    )
    from fullvalue.web.accounts.tasks import send_invitation_email

    link = settings.SITE_URL.rstrip("/") + reverse("invitation-accept", args=[token])
    transaction.on_commit(lambda: send_invitation_email.enqueue(invitation.id, link))
    return invitation, token


def invitation_for_token(token: str) -> Invitation:
    """The open invitation for a link token, or :class:`NotFound`."""
    invitation = (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=_hash(token or ""), accepted_at__isnull=True)
        .first()
    )
    if invitation is None or invitation.expires_at < timezone.now():
        raise NotFound("This invitation link has expired or has already been used.")
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: str, full_name: str = "", password: str = "", user: User | None = None
) -> Membership:
    """Accept an invitation: a new person sets a name and password; a signed-in one just joins."""
    invitation = invitation_for_token(token)
    invitation = Invitation.objects.select_for_update().get(id=invitation.id)
    if user is None:
        user = User.objects.filter(email=invitation.email).first()
        if user is not None:
            raise Conflict(
                "You already have an account: sign in, then open the invitation link again."
            )
        problems: list[Problem] = []
        if not full_name.strip():
            problems.append(Problem("Enter your full name", column="full_name"))
        candidate = User(email=invitation.email, full_name=full_name.strip())
        problems += _check_password(password, candidate)
        if problems:
            raise FullvalueError.from_problems("Your details need correcting.", problems)
        user = User.objects.create_user(invitation.email, password, full_name=full_name.strip())
    elif user.email.lower() != invitation.email:
        raise PermissionDenied("This invitation was sent to a different email address.")
    membership, _ = Membership.objects.get_or_create(
        user=user, organisation_id=invitation.organisation_id, role=invitation.role
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        actor=actor_for_membership(membership),
        action="invitation.accept",
        object_type="membership",
        object_id=membership.id,
        object_repr=str(membership)[:200],
        after={"user": user.email, "role": membership.role},
        organisation_id=membership.organisation_id,
    )
    return membership


@transaction.atomic
def membership_deactivate(*, actor: Actor, membership_id: int) -> Membership:
    """Remove someone's role in an organisation (its administrators or a system admin)."""
    actor.require_can_write()
    membership = Membership.objects.select_related("user").filter(id=membership_id).first()
    if membership is None:
        raise NotFound("No such membership.")
    allowed = MAY_INVITE.get(actor.role) if actor.role else None
    if not (
        actor.is_system_admin
        or (
            allowed
            and Role(membership.role) in allowed
            and actor.belongs_to(membership.organisation_id)
        )
    ):
        raise PermissionDenied("You cannot remove that role.")
    if membership.id == actor.membership_id:
        raise Conflict("You cannot remove your own role.")
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="membership.deactivate",
        object_type="membership",
        object_id=membership.id,
        object_repr=str(membership)[:200],
        before={"is_active": True},
        after={"is_active": False},
        organisation_id=membership.organisation_id,
    )
    return membership


def _record_own(
    user: User, action: str, *, before: dict | None = None, after: dict | None = None
) -> None:
    """Audit a change a person makes to their own sign-in (password, authenticator)."""
    audit_record(
        actor=Actor(user_id=user.id, email=user.email),
        action=action,
        object_type="user",
        object_id=user.id,
        object_repr=user.email,
        before=before,
        after=after,
    )


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """Create (or restart) an unconfirmed TOTP device for a person setting up a second factor."""
    dropped = TOTPDevice.objects.filter(user=user, confirmed=False).delete()[0]
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    _record_own(
        user,
        "second_factor.start",
        before={"pending_devices": dropped},
        after={"pending_devices": 1},
    )
    return device


@transaction.atomic
def password_reset_complete(*, user: User, password: str) -> User:
    """Set a new password chosen from an emailed reset link (already checked by the form).

    The audit trail records that the password changed, never the password or its hash.
    """
    user.set_password(password)
    user.save(update_fields=["password"])
    _record_own(user, "password.reset", after={"password": "changed"})
    return user


@transaction.atomic
def totp_device_confirm(*, user: User, code: str) -> TOTPDevice:
    """Confirm the pending device with a code from the app."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise NotFound("Start setting up your authenticator app again.")
    if not device.verify_token((code or "").replace(" ", "")):
        raise FullvalueError.from_problems(
            "That code is not right.",
            [Problem("Enter the 6-digit code shown in your authenticator app", column="code")],
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(id=device.id).delete()
    _record_own(user, "second_factor.enrol", after={"device": "totp"})
    return device


@transaction.atomic
def api_token_create(*, actor: Actor, name: str) -> tuple[ApiToken, str]:
    """Create a token for the actor's current membership; the secret is returned once."""
    if actor.membership_id is None or actor.via != "web":
        raise PermissionDenied("Sign in to create an API token.")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise FullvalueError.from_problems(
            "The token needs a name.",
            [Problem("Enter a name for the token, up to 100 characters", column="name")],
        )
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        membership_id=actor.membership_id, name=name, prefix=prefix, token_hash=_hash(secret)
    )
    audit_record(
        actor=actor,
        action="api_token.create",
        object_type="api_token",
        object_id=token.id,
        object_repr=name,
        after={"name": name, "prefix": prefix},
    )
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


@transaction.atomic
def api_token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens (or any, for a system administrator)."""
    token = ApiToken.objects.select_related("membership").filter(id=token_id).first()
    if token is None or (token.membership.user_id != actor.user_id and not actor.is_system_admin):
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="api_token.revoke",
            object_type="api_token",
            object_id=token.id,
            object_repr=token.name,
            before={"revoked": False},
            after={"revoked": True},
        )
    return token


def actor_for_token(raw: str) -> Actor | None:
    """The actor a bearer token stands for, or ``None`` if it is unknown, revoked or malformed."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix, _, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    token = (
        ApiToken.objects.select_related("membership__user", "membership__organisation")
        .filter(
            prefix=prefix,
            revoked_at__isnull=True,
            membership__is_active=True,
            membership__user__is_active=True,
        )
        .first()
    )
    if token is None or not secrets.compare_digest(token.token_hash, _hash(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(id=token.id).update(last_used_at=now)
    return actor_for_membership(token.membership, via="api")
