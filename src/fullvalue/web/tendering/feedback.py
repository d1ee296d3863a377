"""Feedback letters: every bidder gets its score and the winner's, per criterion, with reasons.

Not a bare "unsuccessful": the Procurement Act 2023 expects an assessment summary comparing the
bid with the most advantageous tender. Built from the results stored with the award.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from fpdf import FPDF

from fullvalue.domain.roles import Role
from fullvalue.errors import NotFound, PermissionDenied
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.tendering.models import Award, Bid
from fullvalue.web.tendering.selectors import is_commissioner_side


@dataclass(frozen=True)
class CriterionLine:
    """One criterion: its weight, this bid's points and reason, the winner's points and reason."""

    name: str
    weight: Decimal
    points: Decimal | None
    reason: str
    winner_points: Decimal | None
    winner_reason: str


@dataclass(frozen=True)
class FeedbackLetter:
    """The letter's content."""

    tender_reference: str
    tender_title: str
    lot_title: str
    bidder: str
    successful: bool
    compliant: bool
    failures: tuple[str, ...]
    rank: int | None
    bids: int
    total: Decimal
    winner_total: Decimal
    lines: tuple[CriterionLine, ...]
    standstill_ends_on: str
    commissioner: str


def feedback_letter(actor: Actor, bid_id: int) -> FeedbackLetter:
    """The feedback letter for a bid, once its lot is awarded (bidders, commissioner, auditors)."""
    bid = Bid.objects.select_related("lot__tender__commissioner", "lead").filter(id=bid_id).first()
    if bid is None:
        raise NotFound("No such bid.")
    tender = bid.lot.tender
    is_party = (
        actor.organisation_id is not None
        and bid.parties.filter(organisation_id=actor.organisation_id).exists()
        and actor.role in (Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF)
    )
    if not (
        is_party
        or is_commissioner_side(actor, tender)
        or actor.role in (Role.AUDITOR, Role.SYSTEM_ADMIN)
    ):
        raise PermissionDenied("Feedback is for the bidder and the commissioner.")
    award = Award.objects.filter(lot=bid.lot).first()
    if award is None:
        raise NotFound("Feedback is sent when the lot is awarded.")
    rows = {r["bid_id"]: r for r in award.results["bids"]}
    mine, winner = rows.get(bid.id), rows[award.bid_id]
    if mine is None:
        raise NotFound("This bid was withdrawn before the deadline.")
    lines = []
    for criterion in tender.criteria.all():
        key = str(criterion.id)
        mine_points = mine["points"].get(key)
        lines.append(
            CriterionLine(
                name=criterion.name,
                weight=criterion.weight,
                points=Decimal(mine_points) if mine_points is not None else None,
                reason=mine["reasons"].get(key, "Not scored: the bid was not compliant"),
                winner_points=Decimal(winner["points"][key]),
                winner_reason=winner["reasons"][key],
            )
        )
    return FeedbackLetter(
        tender_reference=tender.reference,
        tender_title=tender.title,
        lot_title=str(bid.lot),
        bidder=bid.lead.name,
        successful=bid.id == award.bid_id,
        compliant=mine["compliant"],
        failures=tuple(mine["failures"]),
        rank=mine["rank"],
        bids=len(rows),
        total=Decimal(mine["total"]),
        winner_total=Decimal(winner["total"]),
        lines=tuple(lines),
        standstill_ends_on=f"{award.standstill_ends_on.day} {award.standstill_ends_on:%B %Y}",
        commissioner=tender.commissioner.name,
    )


def _latin(text: str) -> str:
    """The PDF core fonts are Latin-1: replace what they cannot show."""
    replacements = {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "£": "GBP "}
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text.encode("latin-1", "replace").decode("latin-1")


def _para(pdf: FPDF, height: float, text: str) -> None:
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def feedback_pdf(letter: FeedbackLetter) -> bytes:
    """Render the letter as a PDF (A4, tagged title, plain layout that prints well)."""
    pdf = FPDF(format="A4")
    pdf.set_title(_latin(f"Feedback: {letter.tender_reference} {letter.lot_title}"))
    pdf.set_author(_latin(letter.commissioner))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    _para(pdf, 8, _latin(f"Feedback on your bid: {letter.tender_title}"))
    pdf.set_font("Helvetica", "", 11)
    outcome = "successful" if letter.successful else "not successful"
    intro = (
        f"{letter.lot_title}, tender {letter.tender_reference}. Bidder: {letter.bidder}.\n"
        f"Your bid was {outcome}. It scored {letter.total} points"
        + (f" and ranked {letter.rank} of {letter.bids}" if letter.rank else "")
        + f"; the winning bid scored {letter.winner_total} points.\n"
        f"The standstill period ends on {letter.standstill_ends_on}."
    )
    _para(pdf, 6, _latin(intro))
    if letter.failures:
        _para(pdf, 6, _latin("Not compliant: " + "; ".join(letter.failures)))
    for line in letter.lines:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        _para(pdf, 7, _latin(f"{line.name} (weight {line.weight}%)"))
        pdf.set_font("Helvetica", "", 11)
        yours = "-" if line.points is None else f"{line.points}"
        _para(pdf, 6, _latin(f"Your points: {yours}. {line.reason}"))
        _para(pdf, 6, _latin(f"Winning bid: {line.winner_points}. {line.winner_reason}"))
    out = io.BytesIO()
    pdf.output(out)
    return out.getvalue()
