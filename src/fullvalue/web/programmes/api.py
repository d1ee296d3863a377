"""API for programmes: design, publish, pre-market notices and the small-provider risk preview."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from fullvalue.web.api.auth import optional_actor, request_actor
from fullvalue.web.api.pagination import Links, PageIn, page_out
from fullvalue.web.api.problems import ERRORS, WRITE_ERRORS
from fullvalue.web.api.schemas import Id, Money
from fullvalue.web.programmes import services as programmes
from fullvalue.web.programmes.models import Programme

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
    """A mechanism to preview."""

    mechanism_toml: str
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
    actor = optional_actor(request)
    visible = Q(status=Programme.Status.PUBLISHED)
    if actor.organisation_id:
        visible |= Q(commissioner_id=actor.organisation_id)
    qs = Programme.objects.filter(visible).prefetch_related("outcomes")
    items, rest = page_out(request, qs, page)
    return {"items": [_programme_out(p) for p in items], **rest}


@router.post("/programmes", response={201: ProgrammeOut, **WRITE_ERRORS})
def create_programme(request: HttpRequest, payload: ProgrammeIn) -> Any:
    """Design a programme (commissioners)."""
    p = programmes.programme_create(actor=request_actor(request), data=payload.dict())
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
    """Simulate a mechanism for a small provider: chance of payment, of a loss, cash need."""
    preview = programmes.risk_preview(payload.mechanism_toml + "\n", runs=payload.runs)
    return {**preview.__dict__, "warnings": list(preview.warnings)}
