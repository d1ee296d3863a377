"""Reads of programmes: the one place that decides which programmes a person sees."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet

from fullvalue.errors import NotFound
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.programmes.models import Programme, ProgrammeDraft
from fullvalue.web.programmes.policy import (
    COMMISSIONING_SIDE,
    READS_EVERYTHING,
    can_manage_programme,
)


def programme_list(actor: Actor) -> QuerySet[Programme]:
    """Programmes the actor may read: published ones, and drafts for those allowed to see them.

    Pages, the API and exports all use this (see :func:`policy.can_read_programme`).
    """
    qs = Programme.objects.all()
    if actor.role in READS_EVERYTHING:
        return qs
    visible = Q(status=Programme.Status.PUBLISHED)
    if actor.organisation_id and actor.role in COMMISSIONING_SIDE:
        visible |= Q(commissioner_id=actor.organisation_id)
    return qs.filter(visible)


def programme_get(actor: Actor, *, slug: str | None = None, pk: int | None = None) -> Programme:
    """One programme the actor may read, by slug or id; otherwise "No such programme"."""
    lookup = {"slug": slug} if slug is not None else {"id": pk}
    programme = programme_list(actor).filter(**lookup).first()
    if programme is None:
        raise NotFound("No such programme.")
    return programme


def programme_drafts(actor: Actor) -> QuerySet[ProgrammeDraft]:
    """Unfinished drafts the actor may resume: their commissioning organisation's."""
    if actor.organisation_id is None:
        return ProgrammeDraft.objects.none()
    qs = ProgrammeDraft.objects.filter(commissioner_id=actor.organisation_id)
    return (
        qs
        if can_manage_programme(actor, qs.model(commissioner_id=actor.organisation_id))
        else (ProgrammeDraft.objects.none())
    )


def programme_draft_get(actor: Actor, draft_id: int) -> ProgrammeDraft:
    """One unfinished draft the actor may resume; otherwise "No such draft"."""
    draft = programme_drafts(actor).filter(id=draft_id).select_related("programme").first()
    if draft is None:
        raise NotFound("No such draft.")
    return draft


def unfinished_draft_of(programme: Programme) -> ProgrammeDraft | None:
    """The unfinished changes saved for a draft programme, if any."""
    return ProgrammeDraft.objects.filter(programme=programme).first()


def programme_by_id(programme_id: int) -> Programme | None:
    """A programme by id, whatever its status (for services that check permission themselves)."""
    return Programme.objects.filter(id=programme_id).first()


#: Payment mechanisms a design can start from (examples kept in the repository).
MECHANISM_TEMPLATES = {
    "womens-centre": "Women's centre, 70% guaranteed / 30% on results",
    "transforming-rehabilitation": "Fee for service + payment by results (TR)",
    "work-programme": "Attachment, job outcome and sustainment (Work Programme)",
    "troubled-families": "Attachment and results per family (Troubled Families)",
    "peterborough": "Social impact bond on reconviction events (Peterborough)",
}


def mechanism_template_toml(name: str) -> str:
    """The TOML specification of a named mechanism template ("" for an unknown name)."""
    path = settings.BASE_DIR / "examples" / name / "contract.toml"
    return path.read_text(encoding="utf-8") if name in MECHANISM_TEMPLATES and path.exists() else ""


def published_in_areas(area_ids: list[int]) -> list[Programme]:
    """Published programmes covering any of these areas, by title."""
    return list(
        Programme.objects.filter(status=Programme.Status.PUBLISHED, areas__in=area_ids)
        .select_related("commissioner")
        .distinct()
        .order_by("title")
    )


def programmes_of(organisation_id: int) -> list[tuple[int, str, str]]:
    """(id, title, slug) of an organisation's own programmes, drafts included, newest first."""
    return list(
        Programme.objects.filter(commissioner_id=organisation_id).values_list("id", "title", "slug")
    )
