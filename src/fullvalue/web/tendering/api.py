"""API for tendering: tenders, questions, bids, evaluation, award and feedback.

Open data (OCDS) is the publication layer's (:mod:`fullvalue.web.publication.api`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from fullvalue.errors import NotFound, PermissionDenied
from fullvalue.web.api.auth import optional_actor, request_actor
from fullvalue.web.api.pagination import Links, PageIn, page_out
from fullvalue.web.api.problems import ERRORS, WRITE_ERRORS
from fullvalue.web.api.schemas import Id, Money, Share
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.tendering import selectors
from fullvalue.web.tendering import services as tendering
from fullvalue.web.tendering.feedback import feedback_letter, feedback_pdf
from fullvalue.web.tendering.models import Bid, Clarification, Lot, Tender
from fullvalue.web.tendering.results import lot_results

router = Router(tags=["commissioning"])

Score = Annotated[int, Field(ge=0, le=5, description="0-5")]
Weight = Annotated[Decimal, Field(max_digits=5, decimal_places=2, description="percentage points")]


class LotIn(Schema):
    """A lot: what is bought where, and its estimated value."""

    title: str
    area: str | None = Field(None, description="region or police force area code")
    description: str = ""
    cohort: str = ""
    value: Money
    reserved_for_small: bool = False


class CriterionIn(Schema):
    """An award criterion and its weight."""

    name: str
    kind: str = Field(description="price, quality or social_value")
    weight: Weight
    question: str = ""


class TenderIn(Schema):
    """A tender: procedure, timeline, lots, award criteria and pass/fail questions."""

    title: str
    description: str = ""
    procedure: str
    consortium_deadline: dt.datetime | None = None
    clarification_deadline: dt.datetime | None = None
    submission_deadline: dt.datetime | None = None
    social_value_reason: str = ""
    lots: list[LotIn]
    criteria: list[CriterionIn]
    pass_fail: list[str] = Field(default_factory=list)


class LotOut(Schema):
    """A lot of a tender."""

    id: int
    number: int
    title: str
    value: str = Field(description="GBP, estimated")
    reserved_for_small: bool


class CriterionOut(Schema):
    """An award criterion."""

    id: int
    name: str
    kind: str
    weight: str = Field(description="percentage points")
    question: str


class ClarificationOut(Schema):
    """A published question and its answer (anonymous)."""

    question: str
    answer: str


class TenderOut(Schema):
    """A tender as everyone may see it."""

    id: int
    reference: str
    title: str
    status: str
    procedure: str
    published_at: dt.datetime | None
    submission_deadline: dt.datetime | None
    lots: list[LotOut]
    criteria: list[CriterionOut]
    clarifications: list[ClarificationOut]


class TenderPage(Schema):
    """One page of tenders."""

    items: list[TenderOut]
    next_cursor: str | None
    links: Links


class AmendChangesIn(Schema):
    """What an amendment changes (deadlines may only move later)."""

    description: str | None = None
    clarification_deadline: dt.datetime | None = None
    submission_deadline: dt.datetime | None = None
    consortium_deadline: dt.datetime | None = None


class AmendIn(Schema):
    """An amendment to an open tender."""

    summary: str
    changes: AmendChangesIn


class AmendmentOut(Schema):
    """The amendment recorded."""

    id: int
    summary: str
    changes: dict[str, list[str]] = Field(description="field: [before, after]")
    notified: int = Field(description="interested organisations told of it")


class CreatedOut(Schema):
    """The id of what was created."""

    id: int


class TextIn(Schema):
    """A question or an answer."""

    text: str


class QuestionOut(Schema):
    """A question asked."""

    id: int
    question: str


class AnswerOut(Schema):
    """A question answered (and published)."""

    id: int
    question: str
    answer: str


class PartnerIn(Schema):
    """A partner-finder entry."""

    role_sought: str
    offer: str


class PartyIn(Schema):
    """A party to a bid and its shares."""

    organisation_id: Id
    role: str = Field(description="lead, partner or subcontractor")
    share_of_value: Share
    share_of_work: Share
    carries_working_capital: bool = False


class BidIn(Schema):
    """A bid: sealed contents and the parties."""

    contents: dict[str, Any] = Field(
        description="price, answers (criterion id: text), social_value, pass_fail, declarations"
    )
    parties: list[PartyIn] = Field(default_factory=list)


class PartyOut(Schema):
    """A party to a bid."""

    organisation_id: int
    organisation: str
    role: str


class BidOut(Schema):
    """A bid the actor may read."""

    id: int
    lot_id: int
    lead_id: int
    status: str
    submitted_at: dt.datetime | None
    parties: list[PartyOut]
    contents: dict[str, Any] | None = Field(None, description="the sealed contents")


class BidPage(Schema):
    """One page of bids."""

    items: list[BidOut]
    next_cursor: str | None
    links: Links


class WithdrawnOut(Schema):
    """A bid's new status."""

    id: int
    status: str


class PanelIn(Schema):
    """An evaluator to put on the panel."""

    evaluator_membership_id: Id


class ConflictIn(Schema):
    """A conflict declaration."""

    has_conflict: bool
    detail: str = ""


class ConflictOut(Schema):
    """The declaration recorded."""

    has_conflict: bool
    declared_at: dt.datetime | None


class ScoreIn(Schema):
    """One criterion's score and reason."""

    criterion_id: Id
    score: Score
    reason: str


class ScoreOut(Schema):
    """A score recorded."""

    criterion_id: int
    score: int
    reason: str


class EvaluatorScoreOut(ScoreOut):
    """A score and who gave it."""

    evaluator: str


class ScorePage(Schema):
    """One page of scores."""

    items: list[EvaluatorScoreOut]
    next_cursor: str | None
    links: Links


class ConsensusIn(Schema):
    """A moderated consensus score."""

    criterion_id: Id
    score: Score
    reason: str


class BidResultOut(Schema):
    """One bid's scores, total and rank."""

    bid_id: int
    lead: str
    price: str = Field(description="GBP")
    social_value_gbp: str
    compliant: bool
    failures: list[str]
    total: str
    rank: int | None
    points: dict[str, str] = Field(description="criterion id: points")
    reasons: dict[str, str] = Field(description="criterion id: reason")


class LotResultsOut(Schema):
    """Totals and ranking for a lot."""

    bids: list[BidResultOut]
    winner: int | None = Field(description="the winning bid's id; null on a tie or none")
    problems: list[dict[str, Any]]


class AwardIn(Schema):
    """The award notice date (defaults to today)."""

    notice_date: dt.date | None = None


class AwardOut(Schema):
    """The award decided; the standstill runs to its end."""

    id: int
    bid_id: int
    standstill_ends_on: dt.date


class ContractMadeOut(Schema):
    """The contract the confirmed award created."""

    contract_id: int
    provider_id: int
    value: str = Field(description="GBP")


class FeedbackLineOut(Schema):
    """One criterion in a feedback letter."""

    name: str
    weight: str
    points: str | None
    reason: str
    winner_points: str
    winner_reason: str


class FeedbackOut(Schema):
    """A feedback letter: your points and the winner's per criterion, with reasons."""

    tender_reference: str
    tender_title: str
    lot_title: str
    bidder: str
    successful: bool
    compliant: bool
    failures: list[str]
    rank: int | None
    bids: int
    total: str
    winner_total: str
    lines: list[FeedbackLineOut]
    standstill_ends_on: str
    commissioner: str


def _with_details(qs: QuerySet[Tender]) -> QuerySet[Tender]:
    """Tenders with their lots, criteria and published answers loaded (one query each)."""
    return qs.prefetch_related(
        "lots",
        "criteria",
        Prefetch(
            "clarifications",
            queryset=Clarification.objects.filter(published_at__isnull=False).only(
                "id", "question", "answer", "published_at", "tender_id"
            ),
            to_attr="published_clarifications",
        ),
    )


def _tender(tender: Tender) -> dict[str, Any]:
    """A tender a service returned, read again with its details."""
    return _tender_out(_with_details(Tender.objects.filter(id=tender.id)).get())


def _tender_out(t: Tender) -> dict[str, Any]:
    """A tender loaded by :func:`_with_details`."""
    return {
        "id": t.id,
        "reference": t.reference,
        "title": t.title,
        "status": t.status,
        "procedure": t.procedure,
        "published_at": t.published_at,
        "submission_deadline": t.submission_deadline,
        "lots": [
            {
                "id": lot.id,
                "number": lot.number,
                "title": lot.title,
                "value": str(lot.value),
                "reserved_for_small": lot.reserved_for_small,
            }
            for lot in t.lots.all()
        ],
        "criteria": [
            {
                "id": c.id,
                "name": c.name,
                "kind": c.kind,
                "weight": str(c.weight),
                "question": c.question,
            }
            for c in t.criteria.all()
        ],
        "clarifications": [
            {"question": c.question, "answer": c.answer}
            for c in t.published_clarifications  # type: ignore[attr-defined]
        ],
    }


def _bid_out(actor: Actor, bid: Bid) -> dict[str, Any]:
    return {
        "id": bid.id,
        "lot_id": bid.lot_id,
        "lead_id": bid.lead_id,
        "status": bid.status,
        "submitted_at": bid.submitted_at,
        "parties": [
            {
                "organisation_id": p.organisation_id,
                "organisation": p.organisation.name,
                "role": p.role,
            }
            for p in bid.parties.all()
        ],
        "contents": selectors.bid_contents(actor, bid),
    }


def _lot(lot_id: int) -> Lot:
    lot = Lot.objects.select_related("tender").filter(id=lot_id).first()
    if lot is None:
        raise NotFound("No such lot.")
    return lot


@router.get("/tenders", response={200: TenderPage, **ERRORS}, auth=None)
def list_tenders(request: HttpRequest, page: Query[PageIn]) -> Any:
    """Tenders you may see (published ones for everyone)."""
    actor = optional_actor(request)
    items, rest = page_out(request, _with_details(selectors.tender_list(actor)), page)
    return {"items": [_tender_out(t) for t in items], **rest}


@router.get("/tenders/{tender_id}", response={200: TenderOut, **ERRORS}, auth=None)
def get_tender(request: HttpRequest, tender_id: Id) -> Any:
    """One tender."""
    return _tender(selectors.tender_get(optional_actor(request), tender_id))


@router.post("/programmes/{programme_id}/tenders", response={201: TenderOut, **WRITE_ERRORS})
def create_tender(request: HttpRequest, programme_id: Id, payload: TenderIn) -> Any:
    """Draft a tender for a programme."""
    t = tendering.tender_create(
        actor=request_actor(request), programme_id=programme_id, data=payload.dict()
    )
    return Status(201, _tender(t))


@router.put("/tenders/{tender_id}", response={200: TenderOut, **WRITE_ERRORS})
def update_tender(request: HttpRequest, tender_id: Id, payload: TenderIn) -> Any:
    """Change a draft tender (409 once published)."""
    return _tender(
        tendering.tender_update(
            actor=request_actor(request), tender_id=tender_id, data=payload.dict()
        )
    )


@router.post("/tenders/{tender_id}/publish", response={200: TenderOut, **WRITE_ERRORS})
def publish_tender(request: HttpRequest, tender_id: Id) -> Any:
    """Publish a draft tender."""
    return _tender(tendering.tender_publish(actor=request_actor(request), tender_id=tender_id))


@router.post("/tenders/{tender_id}/amendments", response={201: AmendmentOut, **WRITE_ERRORS})
def amend_tender(request: HttpRequest, tender_id: Id, payload: AmendIn) -> Any:
    """Amend an open tender; interested organisations are notified."""
    a = tendering.tender_amend(
        actor=request_actor(request),
        tender_id=tender_id,
        summary=payload.summary,
        changes=payload.changes.dict(exclude_unset=True),
    )
    return Status(
        201, {"id": a.id, "summary": a.summary, "changes": a.changes, "notified": a.notified}
    )


@router.post("/tenders/{tender_id}/interest", response={201: CreatedOut, **WRITE_ERRORS})
def register_interest(request: HttpRequest, tender_id: Id) -> Any:
    """Register interest (to hear of amendments)."""
    i = tendering.interest_register(actor=request_actor(request), tender_id=tender_id)
    return Status(201, {"id": i.id})


@router.post("/tenders/{tender_id}/clarifications", response={201: QuestionOut, **WRITE_ERRORS})
def ask(request: HttpRequest, tender_id: Id, payload: TextIn) -> Any:
    """Ask a clarification question."""
    c = tendering.clarification_ask(
        actor=request_actor(request), tender_id=tender_id, question=payload.text
    )
    return Status(201, {"id": c.id, "question": c.question})


@router.post("/clarifications/{clarification_id}/answer", response={200: AnswerOut, **WRITE_ERRORS})
def answer(request: HttpRequest, clarification_id: Id, payload: TextIn) -> Any:
    """Answer and publish a question to every bidder, anonymously."""
    c = tendering.clarification_answer(
        actor=request_actor(request), clarification_id=clarification_id, answer=payload.text
    )
    return {"id": c.id, "question": c.question, "answer": c.answer}


@router.post("/lots/{lot_id}/partners", response={201: CreatedOut, **WRITE_ERRORS})
def partner(request: HttpRequest, lot_id: Id, payload: PartnerIn) -> Any:
    """Partner finder: offer to join a consortium for a lot."""
    p = tendering.partner_interest_create(
        actor=request_actor(request),
        lot_id=lot_id,
        role_sought=payload.role_sought,
        offer=payload.offer,
    )
    return Status(201, {"id": p.id})


@router.post("/lots/{lot_id}/bids", response={201: BidOut, **WRITE_ERRORS})
def submit_bid(request: HttpRequest, lot_id: Id, payload: BidIn) -> Any:
    """Submit or resubmit a bid before the deadline (contents sealed).

    Partners named in ``parties`` must first confirm exactly that part: save a draft
    (``PUT /lots/{lot_id}/bids/draft``), let them confirm (``POST /bids/{id}/confirm``), then
    submit here or with ``POST /bids/{id}/submit``.
    """
    actor = request_actor(request)
    bid = tendering.bid_submit(
        actor=actor,
        lot_id=lot_id,
        contents=payload.contents,
        parties=[p.dict() for p in payload.parties],
    )
    return Status(201, _bid_out(actor, selectors.bid_get(actor, bid.id)))


@router.put("/lots/{lot_id}/bids/draft", response={200: BidOut, **WRITE_ERRORS})
def save_bid_draft(request: HttpRequest, lot_id: Id, payload: BidIn) -> Any:
    """Save your organisation's bid as a draft (any team member; incomplete is fine; sealed)."""
    actor = request_actor(request)
    bid = tendering.bid_draft_save(
        actor=actor,
        lot_id=lot_id,
        contents=payload.contents,
        parties=[p.dict() for p in payload.parties],
    )
    return _bid_out(actor, selectors.bid_get(actor, bid.id))


@router.post("/bids/{bid_id}/submit", response={200: BidOut, **WRITE_ERRORS})
def submit_bid_draft(request: HttpRequest, bid_id: Id) -> Any:
    """Submit the saved draft (an administrator; every partner must have confirmed its part)."""
    actor = request_actor(request)
    bid = tendering.bid_submit_draft(actor=actor, bid_id=bid_id)
    return _bid_out(actor, selectors.bid_get(actor, bid.id))


class PartConfirmedOut(Schema):
    """A partner's confirmation of its part in a bid."""

    bid_id: int
    organisation_id: int
    confirmed: bool


@router.post("/bids/{bid_id}/confirm", response={200: PartConfirmedOut, **WRITE_ERRORS})
def confirm_bid_part(request: HttpRequest, bid_id: Id) -> Any:
    """A named consortium member or sub-contractor confirms its part as the bid states it."""
    party = tendering.bid_party_confirm(actor=request_actor(request), bid_id=bid_id)
    return {"bid_id": party.bid_id, "organisation_id": party.organisation_id, "confirmed": True}


@router.get("/bids/{bid_id}", response={200: BidOut, **ERRORS})
def get_bid(request: HttpRequest, bid_id: Id) -> Any:
    """A bid: sealed (403) to everyone but its parties until the deadline."""
    actor = request_actor(request)
    return _bid_out(actor, selectors.bid_get(actor, bid_id))


@router.get("/lots/{lot_id}/bids", response={200: BidPage, **ERRORS})
def list_bids(request: HttpRequest, lot_id: Id, page: Query[PageIn]) -> Any:
    """Bids for a lot that you may read (none of others' before the deadline)."""
    actor = request_actor(request)
    items, rest = page_out(request, selectors.readable_bids_for_lot(actor, _lot(lot_id)), page)
    return {"items": [_bid_out(actor, b) for b in items], **rest}


@router.post("/bids/{bid_id}/withdraw", response={200: WithdrawnOut, **WRITE_ERRORS})
def withdraw(request: HttpRequest, bid_id: Id) -> Any:
    """Withdraw a bid before the deadline."""
    bid = tendering.bid_withdraw(actor=request_actor(request), bid_id=bid_id)
    return {"id": bid.id, "status": bid.status}


@router.post("/tenders/{tender_id}/close", response={200: TenderOut, **WRITE_ERRORS})
def close(request: HttpRequest, tender_id: Id) -> Any:
    """Close an open tender after its deadline and start evaluation."""
    return _tender(tendering.tender_close(actor=request_actor(request), tender_id=tender_id))


@router.post("/tenders/{tender_id}/panel", response={201: CreatedOut, **WRITE_ERRORS})
def assign(request: HttpRequest, tender_id: Id, payload: PanelIn) -> Any:
    """Put an evaluator on the panel."""
    a = tendering.panel_assign(
        actor=request_actor(request),
        tender_id=tender_id,
        evaluator_membership_id=payload.evaluator_membership_id,
    )
    return Status(201, {"id": a.id})


@router.post("/tenders/{tender_id}/conflicts", response={200: ConflictOut, **WRITE_ERRORS})
def declare(request: HttpRequest, tender_id: Id, payload: ConflictIn) -> Any:
    """Declare conflicts of interest (evaluators, before scoring)."""
    a = tendering.conflict_declare(
        actor=request_actor(request),
        tender_id=tender_id,
        has_conflict=payload.has_conflict,
        detail=payload.detail,
    )
    return {"has_conflict": a.has_conflict, "declared_at": a.declared_at}


@router.post("/bids/{bid_id}/scores", response={200: list[ScoreOut], **WRITE_ERRORS})
def score(request: HttpRequest, bid_id: Id, payload: list[ScoreIn]) -> Any:
    """Submit your independent scores for a bid."""
    saved = tendering.scores_submit(
        actor=request_actor(request),
        bid_id=bid_id,
        scores={s.criterion_id: (s.score, s.reason) for s in payload},
    )
    return [{"criterion_id": s.criterion_id, "score": s.score, "reason": s.reason} for s in saved]


@router.get("/bids/{bid_id}/scores", response={200: ScorePage, **ERRORS})
def read_scores(request: HttpRequest, bid_id: Id, page: Query[PageIn]) -> Any:
    """Scores for a bid (an evaluator sees others' only after submitting their own)."""
    actor = request_actor(request)
    bid = selectors.bid_get(actor, bid_id)
    qs = selectors.scores_visible_to(actor, bid).select_related("assignment__evaluator__user")
    items, rest = page_out(request, qs, page)
    return {
        "items": [
            {
                "evaluator": s.assignment.evaluator.user.full_name,
                "criterion_id": s.criterion_id,
                "score": s.score,
                "reason": s.reason,
            }
            for s in items
        ],
        **rest,
    }


@router.post("/bids/{bid_id}/consensus", response={200: ScoreOut, **WRITE_ERRORS})
def consensus(request: HttpRequest, bid_id: Id, payload: ConsensusIn) -> Any:
    """Record the moderated consensus score for a criterion."""
    c = tendering.consensus_set(
        actor=request_actor(request),
        bid_id=bid_id,
        criterion_id=payload.criterion_id,
        score=payload.score,
        reason=payload.reason,
    )
    return {"criterion_id": c.criterion_id, "score": c.score, "reason": c.reason}


@router.get("/lots/{lot_id}/results", response={200: LotResultsOut, **ERRORS})
def results(request: HttpRequest, lot_id: Id) -> Any:
    """Totals and ranking for a lot (the commissioner's side, after the deadline)."""
    actor = request_actor(request)
    lot = _lot(lot_id)
    if not (
        selectors.is_commissioner_side(actor, lot.tender)
        or actor.role in ("auditor", "system_admin")
    ) or not selectors.deadline_passed(lot.tender):
        raise PermissionDenied("Results are for the commissioner after the deadline.")
    r = lot_results(lot)
    return {**r.as_json(), "winner": r.winner, "problems": [p.as_dict() for p in r.problems]}


@router.post("/lots/{lot_id}/award", response={201: AwardOut, **WRITE_ERRORS})
def award(request: HttpRequest, lot_id: Id, payload: AwardIn) -> Any:
    """Award the lot to the top-ranked compliant bid; standstill starts."""
    a = tendering.award_decide(
        actor=request_actor(request), lot_id=lot_id, notice_date=payload.notice_date
    )
    return Status(201, {"id": a.id, "bid_id": a.bid_id, "standstill_ends_on": a.standstill_ends_on})


@router.post("/lots/{lot_id}/award/confirm", response={201: ContractMadeOut, **WRITE_ERRORS})
def confirm_award(request: HttpRequest, lot_id: Id) -> Any:
    """Confirm the award after standstill; creates the contract."""
    c = tendering.award_confirm(actor=request_actor(request), lot_id=lot_id)
    return Status(201, {"contract_id": c.id, "provider_id": c.provider_id, "value": str(c.value)})


@router.get(
    "/bids/{bid_id}/feedback",
    response={200: FeedbackOut, **ERRORS},
    openapi_extra={
        "responses": {
            "200": {
                "description": "The letter (JSON, or a PDF with format=pdf)",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/FeedbackOut"}},
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def feedback(request: HttpRequest, bid_id: Id, format: Literal["json", "pdf"] = "json") -> Any:
    """The feedback letter: your points and the winner's per criterion, with reasons."""
    letter = feedback_letter(request_actor(request), bid_id)
    if format == "pdf":
        response = HttpResponse(feedback_pdf(letter), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="feedback-bid-{bid_id}.pdf"'
        return response
    return {
        **{k: v for k, v in letter.__dict__.items() if k != "lines"},
        "total": str(letter.total),
        "winner_total": str(letter.winner_total),
        "lines": [
            {
                **line.__dict__,
                "weight": str(line.weight),
                "points": None if line.points is None else str(line.points),
                "winner_points": str(line.winner_points),
            }
            for line in letter.lines
        ],
    }
