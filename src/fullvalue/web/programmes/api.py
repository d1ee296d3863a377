"""API for programmes: design, publish, pre-market notices and the small-provider risk preview."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from fullvalue.web.api.auth import optional_actor, request_actor
from fullvalue.web.api.pagination import Links, PageIn, page_out
from fullvalue.web.api.problems import ERRORS, WRITE_ERRORS
from fullvalue.web.api.schemas import Id, Money
from fullvalue.web.programmes import services as programmes
from fullvalue.web.programmes.models import Programme, ProgrammeDraft
from fullvalue.web.programmes.risk import Provider
from fullvalue.web.programmes.selectors import programme_draft_get, programme_drafts, programme_list

router = Router(tags=["commissioning"])

Volume = Annotated[int, Field(ge=1, le=10_000_000, description="people per year")]


class ProgrammeIn(Schema):
    """A programme design."""

    title: str
    summary: str
    cohort: str
    volume_low: Volume
    volume_expected: Volume
    volume_high: Volume
    budget: Money = Field(description="GBP in total")
    years: int = Field(3, ge=1, le=15)
    outcomes: list[str] = Field(description="outcome codes from the catalogue")
    areas: list[str] = Field(default_factory=list)
    delivery_setting: str = "mixed"
    current_provision: str = ""
    what_must_change: str = ""
    mechanism_toml: str


class ProgrammeOut(Schema):
    """A programme."""

    id: int
    slug: str
    title: str
    status: str
    commissioner_id: int
    budget: Decimal = Field(description="GBP in total")
    volume_expected: int
    outcomes: list[str]


class ProgrammePage(Schema):
    """One page of programmes."""

    items: list[ProgrammeOut]
    next_cursor: str | None
    links: Links


class RiskIn(Schema):
    """A mechanism to preview, with the programme's figures and a provider's profile.

    Give ``mechanism_toml`` or ``design`` (the designer's form values, e.g.
    ``{"starting_point": "blended"}`` or its fields). The programme's figures override the
    specification's own value (a TOML written for another programme is scaled to ``budget``),
    periods (``years`` from ``start``) and volumes; without them the specification's own are used.
    """

    mechanism_toml: str | None = Field(None, max_length=200_000)
    design: dict[str, str | bool | int | float] | None = None
    budget: Decimal | None = Field(
        None, gt=0, max_digits=14, decimal_places=2, description="GBP in total"
    )
    years: int | None = Field(None, ge=1, le=15)
    start: dt.date | None = None
    volume_low: int | None = Field(None, ge=1, le=1_000_000, description="people a year")
    volume_expected: int | None = Field(None, ge=1, le=1_000_000, description="people a year")
    volume_high: int | None = Field(None, ge=1, le=1_000_000, description="people a year")
    provider_reserves: Decimal = Field(
        Decimal(50000), ge=0, max_digits=14, decimal_places=2, description="GBP"
    )
    provider_share: Decimal = Field(Decimal(1), gt=0, le=1, description="share of the work, 0-1")
    runs: int = Field(2000, ge=100, le=20000)


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


class ProgrammeDraftIn(Schema):
    """A programme saved before it is complete: a title is enough, the rest can follow.

    The same fields as a programme design, each optional, plus ``design``: the designer's form
    values (e.g. ``{"starting_point": "blended", "guaranteed_percent": 60}``) when the
    mechanism is designed rather than sent as ``mechanism_toml``.
    """

    title: str
    summary: str | None = None
    cohort: str | None = None
    volume_low: Volume | None = None
    volume_expected: Volume | None = None
    volume_high: Volume | None = None
    budget: Money | None = Field(None, description="GBP in total")
    years: int | None = Field(None, ge=1, le=15)
    starts_on: dt.date | None = None
    outcomes: list[str] = Field(default_factory=list, description="outcome codes")
    areas: list[str] = Field(default_factory=list)
    delivery_setting: str | None = None
    current_provision: str | None = None
    what_must_change: str | None = None
    mechanism_toml: str | None = Field(None, max_length=200_000)
    design: dict[str, str | bool | int | float] | None = None


class DraftProblemOut(Schema):
    """One thing still to finish before the draft can be published."""

    field: str | None
    reason: str


class ProgrammeDraftOut(Schema):
    """An unfinished programme and what it still needs before it can be published."""

    id: int
    title: str
    commissioner_id: int
    programme_id: int | None = Field(description="the draft programme it changes, if any")
    updated_at: dt.datetime
    complete: bool = Field(description="everything required is filled in: it can be published")
    to_finish: list[DraftProblemOut]


class ProgrammeDraftPage(Schema):
    """One page of unfinished drafts."""

    items: list[ProgrammeDraftOut]
    next_cursor: str | None
    links: Links


class NoticeIn(Schema):
    """A pre-market engagement notice."""

    title: str
    body: str
    event_date: dt.date | None = None


class NoticeOut(Schema):
    """The notice published."""

    id: int
    title: str
    published_at: dt.datetime


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


@router.get("/programmes", response={200: ProgrammePage, **ERRORS}, auth=None)
def list_programmes(request: HttpRequest, page: Query[PageIn]) -> Any:
    """Published programmes (and your own drafts)."""
    qs = programme_list(optional_actor(request)).prefetch_related("outcomes")
    items, rest = page_out(request, qs, page)
    return {"items": [_programme_out(p) for p in items], **rest}


@router.post("/programmes", response={201: ProgrammeOut, **WRITE_ERRORS})
def create_programme(request: HttpRequest, payload: ProgrammeIn) -> Any:
    """Design a programme (commissioners)."""
    p = programmes.programme_create(actor=request_actor(request), data=payload.dict())
    return Status(201, _programme_out(p))


def _draft_data(payload: ProgrammeDraftIn) -> dict[str, Any]:
    data: dict[str, Any] = {
        k: v for k, v in payload.dict(exclude={"design"}).items() if v is not None
    }
    data["mechanism_source"] = "upload" if payload.mechanism_toml else "designer"
    if payload.design is not None:
        data.update(programmes.design_form_values(payload.design, data))
    return data


def _draft_out(d: ProgrammeDraft) -> dict[str, Any]:
    problems = programmes.draft_problems(d)
    return {
        "id": d.id,
        "title": d.title,
        "commissioner_id": d.commissioner_id,
        "programme_id": d.programme_id,
        "updated_at": d.updated_at,
        "complete": not problems,
        "to_finish": [{"field": p.column, "reason": p.reason} for p in problems],
    }


@router.get("/programme-drafts", response={200: ProgrammeDraftPage, **ERRORS})
def list_programme_drafts(request: HttpRequest, page: Query[PageIn]) -> Any:
    """Your organisation's unfinished programmes (commissioners)."""
    items, rest = page_out(request, programme_drafts(request_actor(request)), page)
    return {"items": [_draft_out(d) for d in items], **rest}


@router.post("/programme-drafts", response={201: ProgrammeDraftOut, **WRITE_ERRORS})
def create_programme_draft(request: HttpRequest, payload: ProgrammeDraftIn) -> Any:
    """Save an unfinished programme (a title is enough) to finish and publish later."""
    d = programmes.programme_draft_save(actor=request_actor(request), data=_draft_data(payload))
    return Status(201, _draft_out(d))


@router.get("/programme-drafts/{draft_id}", response={200: ProgrammeDraftOut, **ERRORS})
def get_programme_draft(request: HttpRequest, draft_id: Id) -> Any:
    """An unfinished programme and what it still needs."""
    return _draft_out(programme_draft_get(request_actor(request), draft_id))


@router.put("/programme-drafts/{draft_id}", response={200: ProgrammeDraftOut, **WRITE_ERRORS})
def update_programme_draft(request: HttpRequest, draft_id: Id, payload: ProgrammeDraftIn) -> Any:
    """Replace an unfinished programme's values."""
    d = programmes.programme_draft_save(
        actor=request_actor(request), data=_draft_data(payload), draft_id=draft_id
    )
    return _draft_out(d)


@router.post("/programme-drafts/{draft_id}/complete", response={201: ProgrammeOut, **WRITE_ERRORS})
def complete_programme_draft(request: HttpRequest, draft_id: Id) -> Any:
    """Make the draft a (draft) programme: everything required must be filled in."""
    p = programmes.programme_finish(actor=request_actor(request), draft_id=draft_id)
    return Status(201, _programme_out(p))


@router.post("/programme-drafts/{draft_id}/publish", response={201: ProgrammeOut, **WRITE_ERRORS})
def publish_programme_draft(request: HttpRequest, draft_id: Id) -> Any:
    """Publish the draft: everything required must be filled in, or each problem is named."""
    p = programmes.programme_finish(actor=request_actor(request), draft_id=draft_id, publish=True)
    return Status(201, _programme_out(p))


@router.post("/programmes/{programme_id}/publish", response={200: ProgrammeOut, **WRITE_ERRORS})
def publish_programme(request: HttpRequest, programme_id: Id) -> Any:
    """Publish a programme."""
    return _programme_out(
        programmes.programme_publish(actor=request_actor(request), programme_id=programme_id)
    )


@router.post("/programmes/{programme_id}/notices", response={201: NoticeOut, **WRITE_ERRORS})
def notice(request: HttpRequest, programme_id: Id, payload: NoticeIn) -> Any:
    """Publish a pre-market engagement notice for a programme."""
    n = programmes.engagement_notice_create(
        actor=request_actor(request),
        programme_id=programme_id,
        title=payload.title,
        body=payload.body,
        event_date=payload.event_date,
    )
    return Status(201, {"id": n.id, "title": n.title, "published_at": n.published_at})


@router.post("/risk-preview", response={200: RiskOut, **ERRORS}, auth=None)
def risk_preview(request: HttpRequest, payload: RiskIn) -> Any:
    """Simulate a mechanism for a provider with the programme's own figures.

    Chance of payment, of a loss and of running out of cash, income percentiles, cash need.
    """
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
