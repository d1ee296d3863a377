"""Reads for tendering. Bids are sealed here: before the deadline only the bidders see them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from fullvalue.domain.roles import Role
from fullvalue.domain.tendering import PartyShare
from fullvalue.errors import NotFound, PermissionDenied
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.organisations.selectors import organisation_by_id
from fullvalue.web.tendering import policy
from fullvalue.web.tendering.models import (
    Award,
    AwardCriterion,
    Bid,
    BidParty,
    Clarification,
    EvaluatorAssignment,
    Lot,
    Score,
    Tender,
    TenderDocument,
)
from fullvalue.web.tendering.sealing import unseal

PUBLIC_STATUSES = ("open", "evaluation", "standstill", "awarded")
PROVIDER_ROLES = (Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF)
SMALL_INCOME_LIMIT = Decimal("1000000")
RESERVED_LOT_REASON = "This lot is reserved for organisations with an income under £1 million"


def party_share(row: dict[str, Any]) -> PartyShare | None:
    """One party row as a share, or None while it is incomplete (drafts may be)."""
    try:
        return PartyShare(
            organisation_id=int(row["organisation_id"]),
            role=str(row["role"]),
            share_of_value=Decimal(str(row["share_of_value"])),
            share_of_work=Decimal(str(row["share_of_work"])),
            carries_working_capital=bool(row.get("carries_working_capital")),
        )
    except (KeyError, ValueError, TypeError, InvalidOperation):
        return None


def working_terms(bid: Bid, organisation_id: int) -> PartyShare | None:
    """An organisation's part as the bid's working copy (draft, else submitted) states it."""
    working = unseal(bid.draft if bid.draft is not None else bid.sealed)
    for share in map(party_share, working.get("parties") or []):
        if share is not None and share.organisation_id == organisation_id:
            return share
    return None


def confirmed_part(party: BidParty) -> PartyShare | None:
    """The part (role and shares) a named organisation confirmed, if it did."""
    if party.confirmed_terms is None:
        return None
    return party_share(unseal(party.confirmed_terms))


def deadline_passed(tender: Tender, now: dt.datetime | None = None) -> bool:
    """Whether bids for the tender are unsealed (the submission deadline has passed)."""
    return tender.submission_deadline is not None and (now or timezone.now()) >= (
        tender.submission_deadline
    )


def is_commissioner_side(actor: Actor, tender: Tender) -> bool:
    """The tender's own commissioning organisation (commissioners and evaluators)."""
    return policy.is_commissioner_side(actor, tender)


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
    if tender.status not in PUBLIC_STATUSES and not policy.can_read_unpublished(actor, tender):
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

    The bid's own parties always may (drafts included); after the deadline, so may the
    commissioner's side (evaluators only once they have declared no conflict), auditors and
    system administrators.
    """
    if _is_party(actor, bid):
        return True
    if bid.submitted_at is None:
        return False  # a draft never submitted is for its parties alone, even after the deadline
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
    """The decrypted contents of a bid the actor may read.

    The last submitted version; for its parties, the working copy when a draft is saved (so a
    party reads what it is asked to confirm). Nobody else ever reads a draft.
    """
    if not can_read_bid(actor, bid):
        raise PermissionDenied("Bids are sealed until the submission deadline.")
    if bid.draft is not None and _is_party(actor, bid):
        return unseal(bid.draft)
    return unseal(bid.sealed)


def submitted_contents(actor: Actor, bid: Bid) -> dict[str, Any] | None:
    """The last submitted version of a bid the actor may read, or None if never submitted."""
    if not can_read_bid(actor, bid):
        raise PermissionDenied("Bids are sealed until the submission deadline.")
    return unseal(bid.sealed) if bid.submitted_at is not None else None


def bid_for_lot(actor: Actor, lot: Lot) -> Bid | None:
    """The actor's organisation's own bid for a lot (draft, submitted or withdrawn), if any."""
    if actor.organisation_id is None or actor.role not in PROVIDER_ROLES:
        return None
    return _bids().filter(lot=lot, lead_id=actor.organisation_id).order_by("-id").first()


def bid_blockers(actor: Actor, lot: Lot, now: dt.datetime | None = None) -> list[str]:
    """Why the actor cannot submit a bid for the lot, in plain words (empty if they can).

    Shown before the form is filled in: staff can still prepare a draft for an administrator.
    """
    reasons = []
    if lot.tender.status != Tender.Status.OPEN or deadline_passed(lot.tender, now):
        reasons.append("Bids are closed: the submission deadline has passed.")
    if actor.role not in PROVIDER_ROLES or actor.organisation_id is None:
        return [*reasons, "Only providers bid. Act for a provider organisation to bid."]
    if actor.role != Role.PROVIDER_ADMIN:
        reasons.append(
            "Only an administrator of your organisation can submit a bid. You can prepare it "
            "and save it as a draft; an administrator then checks and submits it."
        )
    if lot.reserved_for_small:
        own = organisation_by_id(actor.organisation_id) if actor.organisation_id else None
        income = own.annual_income if own is not None else None
        if income is None or income >= SMALL_INCOME_LIMIT:
            reasons.append(
                f"{RESERVED_LOT_REASON}"
                + (
                    ": your organisation's profile gives no annual income."
                    if income is None
                    else "."
                )
            )
    return reasons


def parts_awaiting_confirmation(actor: Actor) -> list[BidParty]:
    """Bids naming the actor's organisation as a partner whose part it has not yet confirmed.

    Open tenders only; a part confirmed and then changed by the lead is awaiting again.
    """
    if actor.organisation_id is None or actor.role not in PROVIDER_ROLES:
        return []
    parties = (
        BidParty.objects.filter(
            organisation_id=actor.organisation_id, bid__lot__tender__status="open"
        )
        .exclude(role=BidParty.Role.LEAD)
        .select_related("bid__lot__tender", "bid__lead")
        .order_by("bid__lot__tender__submission_deadline", "id")
    )
    waiting = []
    for party in parties:
        bid = party.bid
        if deadline_passed(bid.lot.tender):
            continue
        terms = working_terms(bid, actor.organisation_id)
        if terms is not None and confirmed_part(party) != terms:
            waiting.append(party)
    return waiting


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


def tenders_of_commissioner(actor: Actor, limit: int = 10) -> list[Tender]:
    """The latest tenders of the actor's commissioning organisation."""
    return list(
        Tender.objects.filter(commissioner_id=actor.organisation_id).order_by("-id")[:limit]
    )


def panels_of_evaluator(actor: Actor) -> list[EvaluatorAssignment]:
    """The evaluation panels the acting evaluator sits on, latest first, with their tenders."""
    return list(
        EvaluatorAssignment.objects.filter(evaluator_id=actor.membership_id)
        .select_related("tender")
        .order_by("-id")
    )


#: Award criterion kinds in words (for open data).
CRITERION_KINDS = dict(AwardCriterion.Kind.choices)


def published_tenders() -> QuerySet[Tender]:
    """Tenders that have been published (never drafts), with what open data needs of them."""
    return (
        Tender.objects.filter(
            published_at__isnull=False,
            status__in=[*PUBLIC_STATUSES, Tender.Status.CANCELLED],
        )
        .select_related("programme", "commissioner")
        .prefetch_related(
            "commissioner__identifiers",
            "lots",
            "criteria",
            "amendments",
            Prefetch("documents", queryset=TenderDocument.objects.defer("content")),
        )
    )


def submitted_bids_of(tender_ids: list[int]) -> QuerySet[Bid]:
    """Submitted bids of these tenders, with their parties' organisations and identifiers.

    For open data after the deadline: callers check :func:`deadline_passed` per tender.
    """
    parties = BidParty.objects.select_related("organisation").prefetch_related(
        "organisation__identifiers"
    )
    return (
        Bid.objects.filter(lot__tender_id__in=tender_ids, status=Bid.Status.SUBMITTED)
        .select_related("lot__tender")
        .prefetch_related(Prefetch("parties", queryset=parties))
        .order_by("lot__number", "submitted_at", "id")
    )


def awards_of(tender_ids: list[int]) -> QuerySet[Award]:
    """Awards of these tenders' lots, with their lots and contracts."""
    return Award.objects.filter(lot__tender_id__in=tender_ids).select_related("lot", "contract")


def opened_contents(bid: Bid) -> dict[str, Any]:
    """A submitted bid's contents once its tender's deadline has passed (public from then on).

    Before the deadline a bid is sealed to everyone but its parties, so this refuses.
    """
    if not deadline_passed(bid.lot.tender):
        raise PermissionDenied("Bids are sealed until the submission deadline.")
    return unseal(bid.sealed)


def panel_waiting(membership_ids: list[int]) -> EvaluatorAssignment | None:
    """The first evaluation panel, among these memberships, with work waiting.

    A panel waits for its evaluator while its tender is under evaluation and the evaluator has
    not declared a conflict (declaring one ends their part).
    """
    return (
        EvaluatorAssignment.objects.filter(
            evaluator_id__in=membership_ids, tender__status=Tender.Status.EVALUATION
        )
        .exclude(declared_at__isnull=False, has_conflict=True)
        .order_by("id")
        .first()
    )


def party_confirmations(bid: Bid) -> dict[int, bool]:
    """For each partner named in the bid's working copy: has it confirmed that exact part?"""
    stored = {p.organisation_id: p for p in bid.parties.all()}
    working = unseal(bid.draft if bid.draft is not None else bid.sealed)
    out = {}
    for share in map(party_share, working.get("parties") or []):
        if share is None or share.role == "lead":
            continue
        party = stored.get(share.organisation_id)
        out[share.organisation_id] = party is not None and confirmed_part(party) == share
    return out


def open_in_areas(area_ids: list[int]) -> list[Tender]:
    """Tenders open for bids whose programme covers any of these areas, by deadline."""
    return list(
        Tender.objects.filter(status=Tender.Status.OPEN, programme__areas__in=area_ids)
        .select_related("commissioner", "programme")
        .distinct()
        .order_by("submission_deadline")
    )
