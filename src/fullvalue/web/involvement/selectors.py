"""Reads for involvement: what is open for comment in a person's area, and comments received."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from fullvalue.domain.roles import Role
from fullvalue.errors import PermissionDenied
from fullvalue.web.involvement.models import Comment
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.organisations.selectors import areas_served_by
from fullvalue.web.programmes.selectors import published_in_areas
from fullvalue.web.tendering.selectors import open_in_areas

if TYPE_CHECKING:
    from fullvalue.web.organisations.models import Area
    from fullvalue.web.programmes.models import Programme
    from fullvalue.web.tendering.models import Tender


@dataclass(frozen=True)
class OpenForComment:
    """Published programmes and open tenders in the areas a person's organisation serves."""

    areas: list[Area]
    programmes: list[Programme]
    tenders: list[Tender]


def open_for_comment(actor: Actor) -> OpenForComment:
    """What a community member can comment on, in their organisation's areas.

    Published programmes and tenders open for bids whose programme covers one of the areas
    (regions or police force areas) the member's organisation serves.
    """
    if actor.role != Role.COMMUNITY_MEMBER or actor.organisation_id is None:
        raise PermissionDenied("Comments on programmes and tenders come from community members.")
    areas = areas_served_by(actor.organisation_id)
    ids = [a.id for a in areas]
    programmes = published_in_areas(ids)
    tenders = open_in_areas(ids)
    return OpenForComment(areas=areas, programmes=programmes, tenders=tenders)


def comments_received(actor: Actor) -> QuerySet[Comment]:
    """Comments on the commissioner's own organisation's programmes and tenders, newest first."""
    if actor.role != Role.COMMISSIONER or actor.organisation_id is None:
        raise PermissionDenied("Comments are read by the commissioner they are addressed to.")
    org = actor.organisation_id
    return (
        Comment.objects.filter(Q(programme__commissioner_id=org) | Q(tender__commissioner_id=org))
        .select_related("programme", "tender", "author", "organisation")
        .order_by("-created_at", "-id")
    )


def comments_by(actor: Actor) -> QuerySet[Comment]:
    """The person's own comments, newest first."""
    return Comment.objects.filter(author_id=actor.user_id).select_related("programme", "tender")
