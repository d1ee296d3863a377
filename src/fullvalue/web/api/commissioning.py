"""API for the commissioning cycle: programmes, tenders, bids, evaluation, award, feedback."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from fullvalue.errors import NotFound
from fullvalue.web.api.auth import optional_actor
from fullvalue.web.programmes import services as programmes
from fullvalue.web.programmes.models import Programme
from fullvalue.web.programmes.risk import Provider
from fullvalue.web.programmes.selectors import programme_list
from fullvalue.web.tendering import selectors
from fullvalue.web.tendering import services as tendering
from fullvalue.web.tendering.feedback import feedback_letter, feedback_pdf
from fullvalue.web.tendering.models import Tender
from fullvalue.web.tendering.results import lot_results

router = Router(tags=["commissioning"])


class ProgrammeIn(Schema):
    """A programme design."""

    title: str
    summary: str
    cohort: str
    volume_low: int
    volume_expected: int
    volume_high: int
    budget: str = Field(description="GBP in total")
    years: int = 3
    outcomes: list[str] = Field(description="outcome codes from the catalogue")
    areas: list[str] = Field(default_factory=list)
    delivery_setting: str = "mixed"
    current_provision: str = ""
    what_must_change: str = ""
    mechanism_toml: str


class RiskOut(Schema):
    """The live risk preview for a small provider."""

    runs: int
    probability_of_outcome_payment: float
    probability_of_loss: float
    working_capital_p50: Decimal
    working_capital_p95: Decimal
    pbr_share: float
    minimum_detectable_effect: float | None
    warnings: list[str]
    income_p5: Decimal = Field(description="GBP over the contract, 5th percentile of runs")
    income_p50: Decimal = Field(description="GBP over the contract, median")
    income_p95: Decimal = Field(description="GBP over the contract, 95th percentile")
    probability_cash_runs_out: float = Field(
        description="share of runs (0-1) in which the provider's reserves run out"
    )
    cash_runs_out_period: str | None = Field(
        description="the period in which the provider most often first runs out of cash"
    )
    summary: str = Field(description="what the provider faces, in one sentence")
    periods: list[str]


class ProgrammeOut(Schema):
    """A programme."""

    id: int
    slug: str
    title: str
    status: str
    commissioner_id: int
    budget: Decimal
    volume_expected: int
    outcomes: list[str]


class RiskIn(Schema):
    """A mechanism to preview, with the programme's figures and a provider's profile.

    Give ``mechanism_toml`` or ``design`` (the designer's form values, e.g.
    ``{"starting_point": "blended"}`` or its fields). The programme's figures override the
    specification's own value (a TOML written for another programme is scaled to ``budget``),
    periods (``years`` from ``start``) and volumes; without them the specification's own are used.
    """

    mechanism_toml: str | None = None
    design: dict[str, str | bool | int | float] | None = None
    budget: Decimal | None = Field(None, gt=0, description="GBP in total")
    years: int | None = Field(None, ge=1, le=15)
    start: dt.date | None = None
    volume_low: int | None = Field(None, ge=1, description="people a year")
    volume_expected: int | None = Field(None, ge=1, description="people a year")
    volume_high: int | None = Field(None, ge=1, description="people a year")
    provider_reserves: Decimal = Field(Decimal(50000), ge=0, description="GBP")
    provider_share: Decimal = Field(Decimal(1), gt=0, le=1, description="share of the work, 0-1")
    runs: int = Field(2000, ge=100, le=20000)


class TenderIn(Schema):
    """A tender: procedure, timeline, lots, award criteria and pass/fail questions."""

    title: str
    description: str = ""
    procedure: str
    consortium_deadline: str | None = None
    clarification_deadline: str | None = None
    submission_deadline: str | None = None
    social_value_reason: str = ""
    lots: list[dict[str, Any]]
    criteria: list[dict[str, Any]]
    pass_fail: list[str] = Field(default_factory=list)


class TenderOut(Schema):
    """A tender as everyone may see it."""

    id: int
    reference: str
    title: str
    status: str
    procedure: str
    published_at: dt.datetime | None
    submission_deadline: dt.datetime | None
    lots: list[dict[str, Any]]
    criteria: list[dict[str, Any]]
    clarifications: list[dict[str, Any]]


class AmendIn(Schema):
    """An amendment to an open tender."""

    summary: str
    changes: dict[str, Any]


class TextIn(Schema):
    """A question or an answer."""

    text: str


class PartnerIn(Schema):
    """A partner-finder entry."""

    role_sought: str
    offer: str


class BidIn(Schema):
    """A bid: sealed contents and the parties."""

    contents: dict[str, Any]
    parties: list[dict[str, Any]] = Field(default_factory=list)


class BidOut(Schema):
    """A bid the actor may read."""

    id: int
    lot_id: int
    lead_id: int
    status: str
    submitted_at: dt.datetime | None
    parties: list[dict[str, Any]]
    contents: dict[str, Any] | None = None


class PanelIn(Schema):
    """An evaluator to put on the panel."""

    evaluator_membership_id: int


class ConflictIn(Schema):
    """A conflict declaration."""

    has_conflict: bool
    detail: str = ""


class ScoreIn(Schema):
    """One criterion's score and reason."""

    criterion_id: int
    score: int
    reason: str


class ConsensusIn(Schema):
    """A moderated consensus score."""

    criterion_id: int
    score: int
    reason: str


class AwardIn(Schema):
    """The award notice date (defaults to today)."""

    notice_date: dt.date | None = None


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _programme_out(p: Programme) -> dict[str, Any]:
    return {
        "id": p.id,
        "slug": p.slug,
        "title": p.title,
        "status": p.status,
        "commissioner_id": p.commissioner_id,
        "budget": p.budget,
        "volume_expected": p.volume_expected,
        "outcomes": [o.code for o in p.outcomes.all()],
    }


def _tender_out(t: Tender) -> dict[str, Any]:
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
            for c in selectors.published_clarifications(t)
        ],
    }


def _bid_out(actor: Any, bid: Any) -> dict[str, Any]:
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


@router.get("/programmes", response=list[ProgrammeOut], auth=None)
def list_programmes(request: HttpRequest) -> Any:
    """Published programmes (and your own drafts)."""
    qs = programme_list(optional_actor(request))
    return [_programme_out(p) for p in qs.prefetch_related("outcomes")]


@router.post("/programmes", response={201: ProgrammeOut})
def create_programme(request: HttpRequest, payload: ProgrammeIn) -> Any:
    """Design a programme (commissioners)."""
    p = programmes.programme_create(actor=_actor(request), data=payload.dict())
    return Status(201, _programme_out(p))


@router.post("/programmes/{programme_id}/publish", response=ProgrammeOut)
def publish_programme(request: HttpRequest, programme_id: int) -> Any:
    """Publish a programme."""
    return _programme_out(
        programmes.programme_publish(actor=_actor(request), programme_id=programme_id)
    )


@router.post("/risk-preview", response=RiskOut, auth=None)
def risk_preview(request: HttpRequest, payload: RiskIn) -> Any:
    """Simulate a mechanism for a small provider: chance of payment, of a loss, cash need."""
    figures = programmes.figures_from_request(payload.dict())
    provider = Provider(payload.provider_reserves, payload.provider_share)
    if payload.design is not None:
        toml = programmes.design_toml_for(payload.design, figures)
        preview = programmes.risk_preview(
            toml, figures, provider, scale_to_budget=False, runs=payload.runs
        )
    else:
        preview = programmes.risk_preview(
            payload.mechanism_toml or "", figures, provider, runs=payload.runs
        )
    return {
        **preview.__dict__,
        "warnings": list(preview.warnings),
        "summary": preview.sentence,
        "periods": list(preview.periods),
    }


@router.get("/tenders", response=list[TenderOut], auth=None)
def list_tenders(request: HttpRequest) -> Any:
    """Tenders you may see (published ones for everyone)."""
    actor = optional_actor(request)
    return [_tender_out(t) for t in selectors.tender_list(actor)]


@router.get("/tenders/{tender_id}", response=TenderOut, auth=None)
def get_tender(request: HttpRequest, tender_id: int) -> Any:
    """One tender."""
    return _tender_out(selectors.tender_get(optional_actor(request), tender_id))


@router.post("/programmes/{programme_id}/tenders", response={201: TenderOut})
def create_tender(request: HttpRequest, programme_id: int, payload: TenderIn) -> Any:
    """Draft a tender for a programme."""
    t = tendering.tender_create(
        actor=_actor(request), programme_id=programme_id, data=payload.dict()
    )
    return Status(201, _tender_out(t))


@router.put("/tenders/{tender_id}", response=TenderOut)
def update_tender(request: HttpRequest, tender_id: int, payload: TenderIn) -> Any:
    """Change a draft tender (409 once published)."""
    return _tender_out(
        tendering.tender_update(actor=_actor(request), tender_id=tender_id, data=payload.dict())
    )


@router.post("/tenders/{tender_id}/publish", response=TenderOut)
def publish_tender(request: HttpRequest, tender_id: int) -> Any:
    """Publish a draft tender."""
    return _tender_out(tendering.tender_publish(actor=_actor(request), tender_id=tender_id))


@router.post("/tenders/{tender_id}/amendments", response={201: dict})
def amend_tender(request: HttpRequest, tender_id: int, payload: AmendIn) -> Any:
    """Amend an open tender; interested organisations are notified."""
    a = tendering.tender_amend(
        actor=_actor(request), tender_id=tender_id, summary=payload.summary, changes=payload.changes
    )
    return Status(
        201, {"id": a.id, "summary": a.summary, "changes": a.changes, "notified": a.notified}
    )


@router.post("/tenders/{tender_id}/interest", response={201: dict})
def register_interest(request: HttpRequest, tender_id: int) -> Any:
    """Register interest (to hear of amendments)."""
    i = tendering.interest_register(actor=_actor(request), tender_id=tender_id)
    return Status(201, {"id": i.id})


@router.post("/tenders/{tender_id}/clarifications", response={201: dict})
def ask(request: HttpRequest, tender_id: int, payload: TextIn) -> Any:
    """Ask a clarification question."""
    c = tendering.clarification_ask(
        actor=_actor(request), tender_id=tender_id, question=payload.text
    )
    return Status(201, {"id": c.id, "question": c.question})


@router.post("/clarifications/{clarification_id}/answer", response=dict)
def answer(request: HttpRequest, clarification_id: int, payload: TextIn) -> Any:
    """Answer and publish a question to every bidder, anonymously."""
    c = tendering.clarification_answer(
        actor=_actor(request), clarification_id=clarification_id, answer=payload.text
    )
    return {"id": c.id, "question": c.question, "answer": c.answer}


@router.post("/lots/{lot_id}/partners", response={201: dict})
def partner(request: HttpRequest, lot_id: int, payload: PartnerIn) -> Any:
    """Partner finder: offer to join a consortium for a lot."""
    p = tendering.partner_interest_create(
        actor=_actor(request), lot_id=lot_id, role_sought=payload.role_sought, offer=payload.offer
    )
    return Status(201, {"id": p.id})


@router.post("/lots/{lot_id}/bids", response={201: BidOut})
def submit_bid(request: HttpRequest, lot_id: int, payload: BidIn) -> Any:
    """Submit or resubmit a bid before the deadline (contents sealed).

    Partners named in ``parties`` must first confirm exactly that part: save a draft
    (``PUT /lots/{lot_id}/bids/draft``), let them confirm (``POST /bids/{id}/confirm``), then
    submit here or with ``POST /bids/{id}/submit``.
    """
    actor = _actor(request)
    bid = tendering.bid_submit(
        actor=actor, lot_id=lot_id, contents=payload.contents, parties=payload.parties
    )
    return Status(201, _bid_out(actor, selectors.bid_get(actor, bid.id)))


@router.put("/lots/{lot_id}/bids/draft", response=BidOut)
def save_bid_draft(request: HttpRequest, lot_id: int, payload: BidIn) -> Any:
    """Save your organisation's bid as a draft (any team member; incomplete is fine; sealed)."""
    actor = _actor(request)
    bid = tendering.bid_draft_save(
        actor=actor, lot_id=lot_id, contents=payload.contents, parties=payload.parties
    )
    return _bid_out(actor, selectors.bid_get(actor, bid.id))


@router.post("/bids/{bid_id}/submit", response=BidOut)
def submit_bid_draft(request: HttpRequest, bid_id: int) -> Any:
    """Submit the saved draft (an administrator; every partner must have confirmed its part)."""
    actor = _actor(request)
    bid = tendering.bid_submit_draft(actor=actor, bid_id=bid_id)
    return _bid_out(actor, selectors.bid_get(actor, bid.id))


@router.post("/bids/{bid_id}/confirm", response=dict)
def confirm_bid_part(request: HttpRequest, bid_id: int) -> Any:
    """A named consortium member or sub-contractor confirms its part as the bid states it."""
    party = tendering.bid_party_confirm(actor=_actor(request), bid_id=bid_id)
    return {"bid_id": party.bid_id, "organisation_id": party.organisation_id, "confirmed": True}


@router.get("/bids/{bid_id}", response=BidOut)
def get_bid(request: HttpRequest, bid_id: int) -> Any:
    """A bid: sealed (403) to everyone but its parties until the deadline."""
    actor = _actor(request)
    return _bid_out(actor, selectors.bid_get(actor, bid_id))


@router.get("/lots/{lot_id}/bids", response=list[BidOut])
def list_bids(request: HttpRequest, lot_id: int) -> Any:
    """Bids for a lot that you may read (none of others' before the deadline)."""
    from fullvalue.web.tendering.models import Lot

    actor = _actor(request)
    lot = Lot.objects.select_related("tender").filter(id=lot_id).first()
    if lot is None:
        raise NotFound("No such lot.")
    return [_bid_out(actor, b) for b in selectors.bids_for_lot(actor, lot)]


@router.post("/bids/{bid_id}/withdraw", response=dict)
def withdraw(request: HttpRequest, bid_id: int) -> Any:
    """Withdraw a bid before the deadline."""
    bid = tendering.bid_withdraw(actor=_actor(request), bid_id=bid_id)
    return {"id": bid.id, "status": bid.status}


@router.post("/tenders/{tender_id}/close", response=TenderOut)
def close(request: HttpRequest, tender_id: int) -> Any:
    """Close an open tender after its deadline and start evaluation."""
    return _tender_out(tendering.tender_close(actor=_actor(request), tender_id=tender_id))


@router.post("/tenders/{tender_id}/panel", response={201: dict})
def assign(request: HttpRequest, tender_id: int, payload: PanelIn) -> Any:
    """Put an evaluator on the panel."""
    a = tendering.panel_assign(
        actor=_actor(request),
        tender_id=tender_id,
        evaluator_membership_id=payload.evaluator_membership_id,
    )
    return Status(201, {"id": a.id})


@router.post("/tenders/{tender_id}/conflicts", response=dict)
def declare(request: HttpRequest, tender_id: int, payload: ConflictIn) -> Any:
    """Declare conflicts of interest (evaluators, before scoring)."""
    a = tendering.conflict_declare(
        actor=_actor(request),
        tender_id=tender_id,
        has_conflict=payload.has_conflict,
        detail=payload.detail,
    )
    return {"has_conflict": a.has_conflict, "declared_at": a.declared_at}


@router.post("/bids/{bid_id}/scores", response=list[dict])
def score(request: HttpRequest, bid_id: int, payload: list[ScoreIn]) -> Any:
    """Submit your independent scores for a bid."""
    saved = tendering.scores_submit(
        actor=_actor(request),
        bid_id=bid_id,
        scores={s.criterion_id: (s.score, s.reason) for s in payload},
    )
    return [{"criterion_id": s.criterion_id, "score": s.score, "reason": s.reason} for s in saved]


@router.get("/bids/{bid_id}/scores", response=list[dict])
def read_scores(request: HttpRequest, bid_id: int) -> Any:
    """Scores for a bid (an evaluator sees others' only after submitting their own)."""
    actor = _actor(request)
    bid = selectors.bid_get(actor, bid_id)
    return [
        {
            "evaluator": s.assignment.evaluator.user.full_name,
            "criterion_id": s.criterion_id,
            "score": s.score,
            "reason": s.reason,
        }
        for s in selectors.scores_visible_to(actor, bid)
    ]


@router.post("/bids/{bid_id}/consensus", response=dict)
def consensus(request: HttpRequest, bid_id: int, payload: ConsensusIn) -> Any:
    """Record the moderated consensus score for a criterion."""
    c = tendering.consensus_set(
        actor=_actor(request),
        bid_id=bid_id,
        criterion_id=payload.criterion_id,
        score=payload.score,
        reason=payload.reason,
    )
    return {"criterion_id": c.criterion_id, "score": c.score, "reason": c.reason}


@router.get("/lots/{lot_id}/results", response=dict)
def results(request: HttpRequest, lot_id: int) -> Any:
    """Totals and ranking for a lot (the commissioner's side, after the deadline)."""
    from fullvalue.web.tendering.models import Lot

    actor = _actor(request)
    lot = Lot.objects.select_related("tender").filter(id=lot_id).first()
    if lot is None:
        raise NotFound("No such lot.")
    if not (
        selectors.is_commissioner_side(actor, lot.tender)
        or actor.role in ("auditor", "system_admin")
    ) or not selectors.deadline_passed(lot.tender):
        from fullvalue.errors import PermissionDenied

        raise PermissionDenied("Results are for the commissioner after the deadline.")
    r = lot_results(lot)
    return {**r.as_json(), "winner": r.winner, "problems": [p.as_dict() for p in r.problems]}


@router.post("/lots/{lot_id}/award", response={201: dict})
def award(request: HttpRequest, lot_id: int, payload: AwardIn) -> Any:
    """Award the lot to the top-ranked compliant bid; standstill starts."""
    a = tendering.award_decide(
        actor=_actor(request), lot_id=lot_id, notice_date=payload.notice_date
    )
    return Status(201, {"id": a.id, "bid_id": a.bid_id, "standstill_ends_on": a.standstill_ends_on})


@router.post("/lots/{lot_id}/award/confirm", response={201: dict})
def confirm(request: HttpRequest, lot_id: int) -> Any:
    """Confirm the award after standstill; creates the contract."""
    c = tendering.award_confirm(actor=_actor(request), lot_id=lot_id)
    return Status(201, {"contract_id": c.id, "provider_id": c.provider_id, "value": str(c.value)})


@router.get("/bids/{bid_id}/feedback", response=dict)
def feedback(request: HttpRequest, bid_id: int, format: str = "json") -> Any:
    """The feedback letter: your points and the winner's per criterion, with reasons."""
    letter = feedback_letter(_actor(request), bid_id)
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


class NoticeIn(Schema):
    """A pre-market engagement notice."""

    title: str
    body: str
    event_date: dt.date | None = None


@router.post("/programmes/{programme_id}/notices", response={201: dict})
def notice(request: HttpRequest, programme_id: int, payload: NoticeIn) -> Any:
    """Publish a pre-market engagement notice for a programme."""
    n = programmes.engagement_notice_create(
        actor=_actor(request),
        programme_id=programme_id,
        title=payload.title,
        body=payload.body,
        event_date=payload.event_date,
    )
    return Status(201, {"id": n.id, "title": n.title, "published_at": n.published_at})
