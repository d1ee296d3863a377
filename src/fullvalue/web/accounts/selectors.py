"""Reads for people and access."""

from __future__ import annotations

from django.db.models import QuerySet

from fullvalue.domain.roles import MAY_INVITE, Role
from fullvalue.errors import PermissionDenied
from fullvalue.web.accounts.models import ApiToken, Membership, User
from fullvalue.web.kernel.actor import Actor


def memberships_for_user(actor: Actor) -> list[Membership]:
    """The actor's own active memberships (to switch between roles)."""
    if actor.user_id is None:
        return []
    return list(
        Membership.objects.filter(user_id=actor.user_id, is_active=True)
        .select_related("organisation")
        .order_by("organisation__name", "role")
    )


def can_manage_members(actor: Actor, organisation_id: int) -> bool:
    """Administrators of an organisation and system administrators manage its members."""
    return actor.is_system_admin or (actor.role in MAY_INVITE and actor.belongs_to(organisation_id))


def organisation_members(actor: Actor, organisation_id: int) -> QuerySet[Membership]:
    """Who holds which role in an organisation.

    Visible to its administrators, auditors and system administrators.
    """
    if not (can_manage_members(actor, organisation_id) or actor.role == Role.AUDITOR):
        raise PermissionDenied("Only this organisation's administrators can see its members.")
    return (
        Membership.objects.filter(organisation_id=organisation_id)
        .select_related("user", "organisation")
        .order_by("-is_active", "user__full_name", "role")
    )


def api_tokens_for(actor: Actor) -> QuerySet[ApiToken]:
    """The actor's own tokens, across their memberships."""
    if actor.user_id is None:
        return ApiToken.objects.none()
    return (
        ApiToken.objects.filter(membership__user_id=actor.user_id)
        .select_related("membership__organisation")
        .order_by("-created_at")
    )


def active_membership(membership_id: int) -> Membership | None:
    """An active membership by id (its role and organisation), for checks by other capabilities."""
    return Membership.objects.filter(id=membership_id, is_active=True).first()


def admin_emails_interested_in(tender_id: int) -> list[str]:
    """Emails of the provider administrators of every organisation interested in a tender."""
    return sorted(
        set(
            Membership.objects.filter(
                organisation__tender_interests__tender_id=tender_id,
                role=Role.PROVIDER_ADMIN,
                is_active=True,
            ).values_list("user__email", flat=True)
        )
    )


def evaluators_of(organisation_id: int, *, excluding_tender_id: int) -> list[tuple[str, str]]:
    """(membership id, name) of the organisation's active evaluators not yet on the tender."""
    return [
        (str(m.id), m.user.full_name)
        for m in Membership.objects.filter(
            organisation_id=organisation_id, role=Role.EVALUATOR, is_active=True
        )
        .select_related("user")
        .exclude(assignments__tender_id=excluding_tender_id)
    ]


def admin_emails_of(organisation_id: int) -> list[str]:
    """Emails of an organisation's active provider administrators."""
    return sorted(
        set(
            Membership.objects.filter(
                organisation_id=organisation_id, role=Role.PROVIDER_ADMIN, is_active=True
            ).values_list("user__email", flat=True)
        )
    )


def user_names(ids: list[int]) -> dict[int, str]:
    """Full names of these people by user id."""
    return dict(User.objects.filter(id__in=ids).values_list("id", "full_name"))
