"""Writes to organisations: create, update and import, each audited in its own transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from fullvalue.domain.roles import Role
from fullvalue.errors import Conflict, FullvalueError, NotFound, PermissionDenied, Problem
from fullvalue.web.audit.services import audit_record
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.slugs import unique_slug
from fullvalue.web.organisations.models import Area, Identifier, Organisation
from fullvalue.web.organisations.rules import OrganisationInput, parse_organisation
from fullvalue.web.organisations.selectors import can_edit, organisation_values


def _unique_slug(name: str, exclude_id: int | None = None) -> str:
    taken = Organisation.objects.exclude(id=exclude_id) if exclude_id else Organisation.objects
    return unique_slug(taken.all(), name, fallback="organisation")


def _identifier_conflicts(values: tuple[str, ...], exclude_id: int | None) -> list[Problem]:
    clash = Identifier.objects.filter(value__in=values).select_related("organisation")
    if exclude_id is not None:
        clash = clash.exclude(organisation_id=exclude_id)
    return [
        Problem(f"{i.value} already belongs to {i.organisation.name}", column="identifiers")
        for i in clash
    ]


def _validated(data: dict[str, Any]) -> OrganisationInput:
    parsed, problems = parse_organisation(data)
    if parsed is None:
        raise FullvalueError.from_problems("The organisation's details need correcting.", problems)
    return parsed


def _write(org: Organisation, data: OrganisationInput) -> None:
    for name, value in data.as_dict().items():
        if name not in {"identifiers", "regions", "police_force_areas"}:
            setattr(org, name, value)
    org.save()
    codes = set(data.regions) | set(data.police_force_areas)
    org.areas.set(Area.objects.filter(code__in=codes))
    wanted = list(data.identifiers)
    org.identifiers.exclude(value__in=wanted).delete()
    existing = set(org.identifiers.values_list("value", flat=True))
    Identifier.objects.bulk_create(
        Identifier(organisation=org, value=v, is_primary=(i == 0))
        for i, v in enumerate(wanted)
        if v not in existing
    )
    if wanted:
        org.identifiers.exclude(value=wanted[0]).update(is_primary=False)
        org.identifiers.filter(value=wanted[0]).update(is_primary=True)


def _require_may_create(actor: Actor) -> None:
    actor.require_can_write()
    actor.require_role(
        Role.SYSTEM_ADMIN,
        Role.COMMISSIONER,
        message="Only commissioners and system administrators can add organisations.",
    )


@transaction.atomic
def organisation_create(*, actor: Actor, data: dict[str, Any]) -> Organisation:
    """Add an organisation to the directory (commissioners and system administrators)."""
    _require_may_create(actor)
    parsed = _validated(data)
    if problems := _identifier_conflicts(parsed.identifiers, None):
        raise Conflict("Another organisation already has that identifier.", problems)
    org = Organisation(slug=_unique_slug(parsed.name))
    _write(org, parsed)
    org = Organisation.objects.prefetch_related("identifiers", "areas").get(id=org.id)
    audit_record(
        actor=actor,
        action="organisation.create",
        object_type="organisation",
        object_id=org.id,
        object_repr=org.name,
        after=organisation_values(org, private=True),
        organisation_id=org.id,
    )
    return org


@transaction.atomic
def organisation_update(
    *, actor: Actor, organisation_id: int, data: dict[str, Any], partial: bool = False
) -> Organisation:
    """Change an organisation's details (its administrators, or a system administrator).

    With ``partial`` the given fields are merged over the current values first (API PATCH).
    """
    actor.require_can_write()
    org = Organisation.objects.select_for_update().filter(id=organisation_id).first()
    if org is None:
        raise NotFound("No such organisation.")
    if not can_edit(actor, org.id):
        raise PermissionDenied("Only this organisation's administrators can change its details.")
    before = organisation_values(org, private=True)
    merged = {**before, **data} if partial else data
    parsed = _validated(merged)
    if problems := _identifier_conflicts(parsed.identifiers, org.id):
        raise Conflict("Another organisation already has that identifier.", problems)
    if parsed.name != org.name:
        org.slug = _unique_slug(parsed.name, exclude_id=org.id)
    _write(org, parsed)
    org = Organisation.objects.prefetch_related("identifiers", "areas").get(id=org.id)
    after = organisation_values(org, private=True)
    if after != before:
        audit_record(
            actor=actor,
            action="organisation.update",
            object_type="organisation",
            object_id=org.id,
            object_repr=org.name,
            before=before,
            after=after,
            organisation_id=org.id,
        )
    return org
