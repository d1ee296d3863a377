"""Reads for tendering. Bids are sealed here: before the deadline only the bidders see them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from fullvalue.domain.roles import Role
from fullvalue.errors import NotFound, PermissionDenied
from fullvalue.web.core.actor import Actor
from fullvalue.web.tendering.models import (
    Bid,
    BidParty,
    Clarification,
    EvaluatorAssignment,
    Lot,
    Score,
    Tender,
)
from fullvalue.web.tendering.sealing import unseal

PUBLIC_STATUSES = ("open", "evaluation", "standstill", "awarded")


def deadline_passed(tender: Tender, now: dt.datetime | None = None) -> bool:
    """Whether bids for the tender are unsealed (the submission deadline has passed)."""
    return tender.submission_deadline is not None and (now or timezone.now()) >= (
        tender.submission_deadline
    )


def is_commissioner_side(actor: Actor, tender: Tender) -> bool:
    """The tender's own commissioning organisation (commissioners and evaluators)."""
    return actor.belongs_to(tender.commissioner_id) and actor.role in (
        Role.COMMISSIONER,
        Role.EVALUATOR,
    )


def tender_list(actor: Actor) -> QuerySet[Tender]:
    """Published tenders for everyone; drafts too for their own commissioner."""
    qs = Tender.objects.select_related("programme", "commissioner").prefetch_related("lots")
    visible = qs.filter(status__in=PUBLIC_STATUSES)
    if actor.organisation_id and actor.role in (Role.COMMISSIONER, Role.EVALUATOR):
        visible = visible | qs.filter(commissioner_id=actor.organisation_id)
    if actor.role in (Role.AUDITOR, Role.SYSTEM_ADMIN):
        visible = qs
    return visible.distinct().order_by("-published_at", "-id")


def tender_get(actor: Actor, tender_id: int) -> Tender:
    """One tender, if the actor may see it (drafts only at their commissioner)."""
    tender = (
        Tender.objects.select_related("programme", "commissioner")
        .prefetch_related("lots", "criteria", "pass_fail")
        .filter(id=tender_id)
        .first()
    )
    if tender is None:
        raise NotFound("No such tender.")
    if tender.status not in PUBLIC_STATUSES and not (
        is_commissioner_side(actor, tender) or actor.role in (Role.AUDITOR, Role.SYSTEM_ADMIN)
    ):
        raise NotFound("No such tender.")
    return tender


def published_clarifications(tender: Tender) -> QuerySet[Clarification]:
    """Answered questions, published to all without saying who asked."""
    return tender.clarifications.filter(published_at__isnull=False).only(
        "id", "question", "answer", "published_at", "tender_id"
    )


def _is_party(actor: Actor, bid: Bid) -> bool:
    return (
        actor.organisation_id is not None
        and any(p.organisation_id == actor.organisation_id for p in bid.parties.all())
        and actor.role in (Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF)
    )


def can_read_bid(actor: Actor, bid: Bid, now: dt.datetime | None = None) -> bool:
    """Whether the actor may read a bid.

    The bid's own parties always may; after the deadline, so may the commissioner's side
    (evaluators only once they have declared no conflict), auditors and system administrators.
    """
    if _is_party(actor, bid):
        return True
    tender = bid.lot.tender
    if not deadline_passed(tender, now):
        return False
    if actor.role in (Role.AUDITOR, Role.SYSTEM_ADMIN):
        return True
    if actor.role == Role.EVALUATOR and actor.belongs_to(tender.commissioner_id):
        return EvaluatorAssignment.objects.filter(
            tender=tender,
            evaluator_id=actor.membership_id,
            declared_at__isnull=False,
            has_conflict=False,
        ).exists()
    return actor.role == Role.COMMISSIONER and actor.belongs_to(tender.commissioner_id)


def _bids() -> QuerySet[Bid]:
    return Bid.objects.select_related("lot__tender", "lead").prefetch_related(
        Prefetch("parties", queryset=BidParty.objects.select_related("organisation"))
    )


def bid_get(actor: Actor, bid_id: int) -> Bid:
    """One bid, or :class:`PermissionDenied` while it is sealed to the actor."""
    bid = _bids().filter(id=bid_id).first()
    if bid is None:
        raise NotFound("No such bid.")
    if not can_read_bid(actor, bid):
        raise PermissionDenied("Bids are sealed until the submission deadline.")
    return bid


def bid_contents(actor: Actor, bid: Bid) -> dict[str, Any]:
    """The decrypted contents of a bid the actor may read."""
    if not can_read_bid(actor, bid):
        raise PermissionDenied("Bids are sealed until the submission deadline.")
    return unseal(bid.sealed)


def bids_for_lot(actor: Actor, lot: Lot) -> list[Bid]:
    """Submitted bids for a lot: the actor's own before the deadline, all after (if allowed)."""
    bids = list(_bids().filter(lot=lot, status=Bid.Status.SUBMITTED))
    return [b for b in bids if can_read_bid(actor, b)]


def readable_bids_for_lot(actor: Actor, lot: Lot, now: dt.datetime | None = None) -> QuerySet[Bid]:
    """Submitted bids for a lot that the actor may read (:func:`can_read_bid`), as a queryset.

    After the deadline the commissioner's side, auditors and system administrators read them
    all; otherwise a provider reads the bids its organisation is a party to.
    """
    qs = _bids().filter(lot=lot, status=Bid.Status.SUBMITTED)
    tender = lot.tender
    if deadline_passed(tender, now) and (
        actor.role in (Role.AUDITOR, Role.SYSTEM_ADMIN)
        or (actor.role == Role.COMMISSIONER and actor.belongs_to(tender.commissioner_id))
        or (
            actor.role == Role.EVALUATOR
            and actor.belongs_to(tender.commissioner_id)
            and EvaluatorAssignment.objects.filter(
                tender=tender,
                evaluator_id=actor.membership_id,
                declared_at__isnull=False,
                has_conflict=False,
            ).exists()
        )
    ):
        return qs
    if actor.organisation_id is not None and actor.role in (
        Role.PROVIDER_ADMIN,
        Role.PROVIDER_STAFF,
    ):
        return qs.filter(parties__organisation_id=actor.organisation_id).distinct()
    return qs.none()


def my_bids(actor: Actor) -> QuerySet[Bid]:
    """Bids the actor's organisation is a party to."""
    if actor.organisation_id is None:
        return Bid.objects.none()
    return _bids().filter(parties__organisation_id=actor.organisation_id).distinct()


def my_bids_listed(actor: Actor, limit: int = 20) -> list[Bid]:
    """The newest of the actor's organisation's bids, with only what a list of them shows.

    :func:`my_bids` loads each bid's sealed content, lead and parties; a dashboard listing
    reference, lot and status needs none of that.
    """
    if actor.organisation_id is None:
        return []
    ids = BidParty.objects.filter(organisation_id=actor.organisation_id).values("bid_id")
    return list(
        Bid.objects.filter(id__in=ids)
        .select_related("lot__tender")
        .only("id", "status", "lot__number", "lot__title", "lot__tender__reference")
        .order_by("-id")[:limit]
    )


def scores_visible_to(actor: Actor, bid: Bid) -> QuerySet[Score]:
    """Scores for a bid: an evaluator sees others' only after submitting their own."""
    if not can_read_bid(actor, bid) or _is_party(actor, bid):
        raise PermissionDenied("Scores are for the evaluation panel.")
    scores = Score.objects.filter(bid=bid, submitted_at__isnull=False).select_related(
        "assignment__evaluator__user", "criterion"
    )
    if actor.role == Role.EVALUATOR:
        own = scores.filter(assignment__evaluator_id=actor.membership_id)
        if not own.exists():
            return Score.objects.none()
    return scores
