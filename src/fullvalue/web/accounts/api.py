"""API for people's roles: ``/me``, an organisation's memberships and invitations."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from fullvalue.web.accounts import services as account_services
from fullvalue.web.accounts.models import Membership
from fullvalue.web.accounts.selectors import memberships_for_user, organisation_members
from fullvalue.web.api.auth import request_actor
from fullvalue.web.api.pagination import Links, PageIn, page_out
from fullvalue.web.api.problems import ERRORS, WRITE_ERRORS
from fullvalue.web.organisations.api import get_organisation_or_404

router = Router(tags=["memberships"])


class MembershipOut(Schema):
    """A role held by a person in an organisation."""

    id: int
    organisation_id: int
    organisation_name: str
    role: str
    user_name: str
    user_email: str
    is_active: bool


class MembershipPage(Schema):
    """One page of memberships."""

    items: list[MembershipOut]
    next_cursor: str | None
    links: Links


class MeOut(Schema):
    """Who the request acts as."""

    email: str
    role: str | None
    organisation_id: int | None
    via: str
    memberships: list[MembershipOut]


class InvitationIn(Schema):
    """Invite someone by email."""

    email: str
    role: str


class InvitationOut(Schema):
    """The invitation created (the link is emailed, never returned)."""

    id: int
    email: str
    role: str
    organisation_id: int
    expires_at: str


def _membership_out(m: Membership) -> dict[str, Any]:
    return {
        "id": m.id,
        "organisation_id": m.organisation_id,
        "organisation_name": m.organisation.name,
        "role": m.role,
        "user_name": m.user.full_name,
        "user_email": m.user.email,
        "is_active": m.is_active,
    }


@router.get("/organisations/{org_id}/memberships", response={200: MembershipPage, **ERRORS})
def list_memberships(request: HttpRequest, org_id: int, page: Query[PageIn]) -> Any:
    """Who holds which role in an organisation (its administrators, auditors, system admins)."""
    actor = request_actor(request)
    get_organisation_or_404(org_id)
    qs = organisation_members(actor, org_id).select_related("user", "organisation")
    items, rest = page_out(request, qs, page)
    return {"items": [_membership_out(m) for m in items], **rest}


@router.post("/organisations/{org_id}/invitations", response={201: InvitationOut, **WRITE_ERRORS})
def invite(request: HttpRequest, org_id: int, payload: InvitationIn) -> Any:
    """Invite someone by email to a role in the organisation."""
    actor = request_actor(request)
    get_organisation_or_404(org_id)
    invitation, _ = account_services.invitation_create(
        actor=actor, email=payload.email, organisation_id=org_id, role=payload.role
    )
    return Status(
        201,
        {
            "id": invitation.id,
            "email": invitation.email,
            "role": invitation.role,
            "organisation_id": invitation.organisation_id,
            "expires_at": invitation.expires_at.isoformat(),
        },
    )


@router.delete("/memberships/{membership_id}", response={200: MembershipOut, **WRITE_ERRORS})
def remove_membership(request: HttpRequest, membership_id: int) -> Any:
    """End someone's role in an organisation."""
    actor = request_actor(request)
    m = account_services.membership_deactivate(actor=actor, membership_id=membership_id)
    m = Membership.objects.select_related("user", "organisation").get(id=m.id)
    return _membership_out(m)


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request: HttpRequest) -> Any:
    """The actor this request acts as, and the person's memberships."""
    actor = request_actor(request)
    memberships = memberships_for_user(actor)
    return {
        "email": actor.email,
        "role": actor.role.value if actor.role else None,
        "organisation_id": actor.organisation_id,
        "via": actor.via,
        "memberships": [_membership_out(m) for m in memberships]
        if actor.via == "web"
        else [_membership_out(m) for m in memberships if m.id == actor.membership_id],
    }
