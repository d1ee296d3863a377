"""Report once's API: returns sent (providers) and received (commissioners), and submitting one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from fullvalue.errors import PermissionDenied
from fullvalue.web.api.auth import request_actor
from fullvalue.web.api.pagination import Links, PageIn, page_out
from fullvalue.web.api.problems import ERRORS, WRITE_ERRORS
from fullvalue.web.kernel.policy import refusal
from fullvalue.web.reporting import policy, selectors, services

router = Router(tags=["report once"])


class FigureOut(Schema):
    """One indicator's figure as submitted (null where the framework's measure has none)."""

    id: str
    label: str
    value: float | int | None


class ReturnOut(Schema):
    """A submitted return: locked, its figures as sent."""

    id: int
    framework: str
    framework_title: str
    funder: str
    provider_id: int
    provider: str
    period_start: dt.date
    period_end: dt.date
    submitted_at: dt.datetime
    figures: list[FigureOut]


class ReturnPage(Schema):
    """One page of returns, newest first."""

    items: list[ReturnOut]
    next_cursor: str | None
    links: Links


class SubmitIn(Schema):
    """Which framework (its id, e.g. ``pcc-reducing-reoffending``) and period (its first day)."""

    framework: str
    period_start: dt.date


def _out(s: Any) -> dict[str, Any]:
    return {
        "id": s.id,
        "framework": s.framework.slug,
        "framework_title": s.framework.title,
        "funder": s.framework.funder_name,
        "provider_id": s.provider_id,
        "provider": s.provider.name,
        "period_start": s.period_start,
        "period_end": s.period_end,
        "submitted_at": s.submitted_at,
        "figures": s.figures,
    }


@router.get("/returns", response={200: ReturnPage, **ERRORS})
def list_returns(request: HttpRequest, page: Query[PageIn]) -> Any:
    """Returns your organisation sent, or received for the frameworks it publishes."""
    actor = request_actor(request)
    if not policy.can_see_report_once(actor):
        raise PermissionDenied(refusal(policy.can_see_report_once))
    items, rest = page_out(request, selectors.submissions_listed(actor), page)
    return {"items": [_out(s) for s in items], **rest}


@router.post("/returns", response={201: ReturnOut, **WRITE_ERRORS})
def submit_return(request: HttpRequest, payload: SubmitIn) -> Any:
    """Submit your organisation's return for an ended period; it is produced and locked."""
    actor = request_actor(request)
    framework = selectors.framework_by_slug(payload.framework)
    submission = services.return_submit(
        actor=actor, framework_id=framework.id, period_start=payload.period_start
    )
    submission = selectors.submissions_listed(actor).get(id=submission.id)
    return Status(201, _out(submission))
