"""The JSON API at ``/api/v1/`` (django-ninja): OpenAPI 3 at ``/api/v1/openapi.json``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query, Schema, Status
from pydantic import Field

from fullvalue.domain.roles import READS_ALL_PRIVATE
from fullvalue.errors import NotFound
from fullvalue.web.accounts import services as account_services
from fullvalue.web.accounts.selectors import memberships_for_user, organisation_members
from fullvalue.web.api import problems
from fullvalue.web.api.auth import SessionActorAuth, TokenAuth, optional_actor
from fullvalue.web.api.commissioning import router as commissioning_router
from fullvalue.web.api.delivery import router as delivery_router
from fullvalue.web.api.pagination import paginate
from fullvalue.web.api.throttling import AnonLimit, TokenLimit
from fullvalue.web.audit.api import router as audit_router
from fullvalue.web.core.actor import Actor
from fullvalue.web.core.caching import cached
from fullvalue.web.organisations import services as org_services
from fullvalue.web.organisations.models import Organisation
from fullvalue.web.organisations.selectors import (
    OrganisationFilters,
    can_read_private,
    directory_version,
    organisation_list,
    organisation_values,
)

DESCRIPTION = """
Fullvalue's JSON API. Machine clients send `Authorization: Bearer <token>`; a token acts for one
membership (one organisation and role) and is created on the *Your account* page. Lists use
cursor pagination (`cursor`, `limit`, and `links.next`). Every error is
`application/problem+json` (RFC 9457) with a stable `type` and, for input errors, an `errors`
list naming each field and reason.
"""


api = NinjaAPI(
    title="Fullvalue API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=[TokenAuth(), SessionActorAuth()],
    throttle=[AnonLimit(settings.API_RATE_LIMIT), TokenLimit(settings.API_RATE_LIMIT)],
)
problems.install(api)
api.add_router("", commissioning_router)
api.add_router("", delivery_router)
api.add_router("", audit_router)


class ProblemOut(Schema):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    errors: list[dict[str, Any]] | None = None


class OrganisationOut(Schema):
    """An organisation; contact fields appear only for those allowed to read them."""

    id: int
    slug: str
    name: str
    legal_form: str
    sector: str
    identifiers: list[str]
    annual_income: Decimal | None
    size_band: str | None
    regions: list[str]
    police_force_areas: list[str]
    led_by_women: bool
    led_by_black_minoritised: bool
    led_by_lived_experience: bool
    led_by_disabled: bool
    description: str
    website: str
    town: str
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    internal_notes: str | None = None


class Links(Schema):
    """Pagination links."""

    next: str | None


class OrganisationPage(Schema):
    """One page of organisations."""

    items: list[OrganisationOut]
    next_cursor: str | None
    links: Links


class OrganisationIn(Schema):
    """Fields to create or change an organisation (validated by the same rules as pages)."""

    name: str | None = None
    legal_form: str | None = None
    sector: str | None = None
    identifiers: list[str] | None = None
    annual_income: str | None = Field(None, description="GBP per year, e.g. '250000'")
    regions: list[str] | None = None
    police_force_areas: list[str] | None = None
    led_by_women: bool | None = None
    led_by_black_minoritised: bool | None = None
    led_by_lived_experience: bool | None = None
    led_by_disabled: bool | None = None
    description: str | None = None
    website: str | None = None
    town: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    internal_notes: str | None = None


class OrganisationFilterIn(Schema):
    """Directory filters."""

    q: str = ""
    sector: str = ""
    legal_form: str = ""
    size_band: str = ""
    region: str = ""
    police_force_area: str = ""
    led_by: list[str] = Field(default_factory=list)
    cursor: str | None = None
    limit: int = 50


class MembershipOut(Schema):
    """A role held by a person in an organisation."""

    id: int
    organisation_id: int
    organisation_name: str
    role: str
    user_name: str
    user_email: str
    is_active: bool


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


ERRORS = {
    400: ProblemOut,
    401: ProblemOut,
    403: ProblemOut,
    404: ProblemOut,
    409: ProblemOut,
    422: ProblemOut,
    429: ProblemOut,
}


def _org_out(actor: Actor, org: Organisation) -> dict[str, Any]:
    return organisation_values(org, private=can_read_private(actor, org.id))


def _membership_out(m: Any) -> dict[str, Any]:
    return {
        "id": m.id,
        "organisation_id": m.organisation_id,
        "organisation_name": m.organisation.name,
        "role": m.role,
        "user_name": m.user.full_name,
        "user_email": m.user.email,
        "is_active": m.is_active,
    }


def _get_org(org_id: int) -> Organisation:
    org = Organisation.objects.prefetch_related("identifiers", "areas").filter(id=org_id).first()
    if org is None:
        raise NotFound("No organisation with that id.")
    return org


@api.get(
    "/organisations", response={200: OrganisationPage, **ERRORS}, auth=None, tags=["organisations"]
)
def list_organisations(request: HttpRequest, filters: Query[OrganisationFilterIn]) -> Any:
    """The organisation directory (public). Filter, then page with ``cursor``."""
    actor = optional_actor(request)
    # Who sees private fields decides the answer: everyone in a role that reads them all, or
    # only those of the actor's own organisation. The page is cached under that, the query and
    # the directory's version (which changes with every organisation written).
    scope = "all" if actor.role in READS_ALL_PRIVATE else str(actor.organisation_id or "")
    parts = [
        directory_version(),
        scope,
        sorted(request.GET.lists()),
        request.build_absolute_uri(request.path),  # links.next is absolute
    ]

    def render() -> bytes:
        qs = organisation_list(actor, OrganisationFilters.from_params(filters.dict()))
        items, next_cursor, next_url = paginate(
            request, qs, cursor=filters.cursor, limit=filters.limit
        )
        page = OrganisationPage.model_validate(
            {
                "items": [_org_out(actor, o) for o in items],
                "next_cursor": next_cursor,
                "links": {"next": next_url},
            }
        )
        return page.model_dump_json().encode()

    body = cached("api-orgs", parts, render)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


@api.get(
    "/organisations/{org_id}",
    response={200: OrganisationOut, **ERRORS},
    auth=None,
    tags=["organisations"],
)
def get_organisation(request: HttpRequest, org_id: int) -> Any:
    """One organisation (public fields; private ones for those allowed)."""
    actor = optional_actor(request)
    return _org_out(actor, _get_org(org_id))


@api.post("/organisations", response={201: OrganisationOut, **ERRORS}, tags=["organisations"])
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Any:
    """Add an organisation (commissioners and system administrators)."""
    actor = request.auth  # type: ignore[attr-defined]
    org = org_services.organisation_create(actor=actor, data=payload.dict(exclude_none=True))
    return Status(201, _org_out(actor, org))


@api.patch(
    "/organisations/{org_id}", response={200: OrganisationOut, **ERRORS}, tags=["organisations"]
)
def update_organisation(request: HttpRequest, org_id: int, payload: OrganisationIn) -> Any:
    """Change some fields of an organisation (its administrators or a system administrator)."""
    actor = request.auth  # type: ignore[attr-defined]
    org = org_services.organisation_update(
        actor=actor, organisation_id=org_id, data=payload.dict(exclude_none=True), partial=True
    )
    return _org_out(actor, org)


@api.get(
    "/organisations/{org_id}/memberships",
    response={200: list[MembershipOut], **ERRORS},
    tags=["memberships"],
)
def list_memberships(request: HttpRequest, org_id: int) -> Any:
    """Who holds which role in an organisation (its administrators, auditors, system admins)."""
    actor = request.auth  # type: ignore[attr-defined]
    _get_org(org_id)
    return [_membership_out(m) for m in organisation_members(actor, org_id)]


@api.post(
    "/organisations/{org_id}/invitations",
    response={201: InvitationOut, **ERRORS},
    tags=["memberships"],
)
def invite(request: HttpRequest, org_id: int, payload: InvitationIn) -> Any:
    """Invite someone by email to a role in the organisation."""
    actor = request.auth  # type: ignore[attr-defined]
    _get_org(org_id)
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


@api.delete(
    "/memberships/{membership_id}", response={200: MembershipOut, **ERRORS}, tags=["memberships"]
)
def remove_membership(request: HttpRequest, membership_id: int) -> Any:
    """End someone's role in an organisation."""
    actor = request.auth  # type: ignore[attr-defined]
    m = account_services.membership_deactivate(actor=actor, membership_id=membership_id)
    m = type(m).objects.select_related("user", "organisation").get(id=m.id)
    return _membership_out(m)


@api.get("/me", response={200: MeOut, **ERRORS}, tags=["memberships"])
def me(request: HttpRequest) -> Any:
    """The actor this request acts as, and the person's memberships."""
    actor = request.auth  # type: ignore[attr-defined]
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


@api.get("/problems/{code}", auth=None, include_in_schema=False)
def problem_doc(request: HttpRequest, code: str) -> HttpResponse:
    """Human description of a problem type."""
    title = problems.TITLES.get(code)
    if title is None:
        raise NotFound("No such problem type.")
    return HttpResponse(f"{code}: {title}", content_type="text/plain; charset=utf-8")


api.add_router("/ocds", "fullvalue.web.api.ocds.router")
