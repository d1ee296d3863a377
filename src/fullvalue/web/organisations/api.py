"""API for the organisation directory: ``/organisations`` (public reads, guarded writes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from fullvalue.domain.roles import READS_ALL_PRIVATE
from fullvalue.errors import NotFound
from fullvalue.web.api.auth import optional_actor, request_actor
from fullvalue.web.api.pagination import DEFAULT_LIMIT, Links, paginate
from fullvalue.web.api.problems import ERRORS, WRITE_ERRORS
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.caching import cached
from fullvalue.web.organisations import services as org_services
from fullvalue.web.organisations.models import Organisation
from fullvalue.web.organisations.selectors import (
    OrganisationFilters,
    can_read_private,
    directory_version,
    organisation_list,
    organisation_values,
)

router = Router(tags=["organisations"])


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
    limit: int = DEFAULT_LIMIT


def organisation_out(actor: Actor, org: Organisation) -> dict[str, Any]:
    """An organisation as ``actor`` may read it."""
    return organisation_values(org, private=can_read_private(actor, org.id))


def get_organisation_or_404(org_id: int) -> Organisation:
    """The organisation with ``org_id``, or a 404 problem."""
    org = Organisation.objects.prefetch_related("identifiers", "areas").filter(id=org_id).first()
    if org is None:
        raise NotFound("No organisation with that id.")
    return org


@router.get("/organisations", response={200: OrganisationPage, **ERRORS}, auth=None)
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
                "items": [organisation_out(actor, o) for o in items],
                "next_cursor": next_cursor,
                "links": {"next": next_url},
            }
        )
        return page.model_dump_json().encode()

    body = cached("api-orgs", parts, render)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


@router.get("/organisations/{org_id}", response={200: OrganisationOut, **ERRORS}, auth=None)
def get_organisation(request: HttpRequest, org_id: int) -> Any:
    """One organisation (public fields; private ones for those allowed)."""
    actor = optional_actor(request)
    return organisation_out(actor, get_organisation_or_404(org_id))


@router.post("/organisations", response={201: OrganisationOut, **WRITE_ERRORS})
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Any:
    """Add an organisation (commissioners and system administrators)."""
    actor = request_actor(request)
    org = org_services.organisation_create(actor=actor, data=payload.dict(exclude_none=True))
    return Status(201, organisation_out(actor, org))


@router.patch("/organisations/{org_id}", response={200: OrganisationOut, **WRITE_ERRORS})
def update_organisation(request: HttpRequest, org_id: int, payload: OrganisationIn) -> Any:
    """Change some fields of an organisation (its administrators or a system administrator)."""
    actor = request_actor(request)
    org = org_services.organisation_update(
        actor=actor, organisation_id=org_id, data=payload.dict(exclude_none=True), partial=True
    )
    return organisation_out(actor, org)
