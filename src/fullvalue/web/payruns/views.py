"""Remittance statements (what a run paid and what flows down) and working-capital timelines."""

from __future__ import annotations

import io
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from fpdf import FPDF
from markupsafe import Markup

from fullvalue.errors import NotFound
from fullvalue.web.contracts.selectors import contract_by_id
from fullvalue.web.kernel.exports import table_response
from fullvalue.web.kernel.pages import page, signin_required
from fullvalue.web.payruns.cash import (
    CashTimeline,
    cash_timeline,
    timeline_chart,
    timeline_members,
)
from fullvalue.web.payruns.models import PaymentRun
from fullvalue.web.payruns.selectors import runs_for


def _pdf(run: PaymentRun) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"Remittance {run.contract.title} {run.period}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    text = lambda s: s.replace("£", "GBP ").encode("latin-1", "replace").decode("latin-1")  # noqa: E731
    pdf.multi_cell(
        0, 8, text(f"Remittance: {run.contract.title}, {run.period}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(
        0,
        6,
        text(
            f"From {run.contract.commissioner.name} to "
            f"{run.contract.provider.name}. Total GBP {run.total:,.2f}, "
            f"paid {run.paid_on or 'on approval'}."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for line in run.lines:
        pdf.multi_cell(
            0,
            6,
            text(f"GBP {Decimal(line['amount']):,.2f}  {line['reason']}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    flow = list(run.flow_down.select_related("member__organisation"))
    if flow:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 7, "Owed down the supply chain", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for p in flow:
            pdf.multi_cell(
                0,
                6,
                text(f"{p.member.organisation.name}: GBP {p.amount:,.2f}, due {p.due_on:%d %B %Y}"),
                new_x="LMARGIN",
                new_y="NEXT",
            )
    out = io.BytesIO()
    pdf.output(out)
    return out.getvalue()


@signin_required
def remittance(request: HttpRequest, run_id: int) -> HttpResponse:
    """A remittance statement (page, ?format=csv|xlsx, or ?format=pdf)."""
    run = (
        PaymentRun.objects.select_related("contract__commissioner", "contract__provider")
        .filter(id=run_id)
        .first()
    )
    if run is None:
        raise NotFound("No such payment run.")
    runs_for(request.actor, run.contract)  # type: ignore[attr-defined]  # permission check
    fmt = request.GET.get("format")
    if fmt == "pdf":
        response = HttpResponse(_pdf(run), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="remittance-{run.id}.pdf"'
        return response
    if fmt:
        return table_response(
            fmt,
            f"remittance-{run.id}",
            ["period", "cohort", "component", "amount", "reason"],
            [
                [ln["period"], ln["cohort"], ln["component"], Decimal(ln["amount"]), ln["reason"]]
                for ln in run.lines
            ],
        )
    return page(
        request,
        "payruns/remittance.html",
        f"Remittance {run.period}",
        run=run,
        flow=list(run.flow_down.select_related("member__organisation")),
        nav_active="contracts",
    )


def _timeline(request: HttpRequest, contract_id: int) -> CashTimeline:
    contract = contract_by_id(contract_id)
    try:
        org = int(request.GET.get("organisation", "") or 0) or None
    except ValueError:
        org = None
    return cash_timeline(request.actor, contract, org)  # type: ignore[attr-defined]


@signin_required
def cash(request: HttpRequest, contract_id: int) -> HttpResponse:
    """A provider's cash in and out on the contract, so far and projected, with a chart."""
    timeline = _timeline(request, contract_id)
    headers = [
        "period",
        "status",
        "actual_in",
        "actual_out",
        "projected_in",
        "projected_out",
        "cumulative",
        "cumulative_p5",
        "cumulative_p95",
    ]
    rows = [
        [
            p.name,
            p.status,
            p.actual_in,
            p.actual_out,
            p.projected_in,
            p.projected_out,
            p.cumulative,
            p.cumulative_p5,
            p.cumulative_p95,
        ]
        for p in timeline.periods
    ]
    if fmt := request.GET.get("format"):
        return table_response(fmt, "cash-timeline", headers, rows)
    members = timeline_members(request.actor, timeline.contract)  # type: ignore[attr-defined]
    return page(
        request,
        "payruns/cash.html",
        "Working capital",
        timeline=timeline,
        chart=Markup(timeline_chart(timeline)),
        members=members,
        nav_active="contracts",
    )


@signin_required
def cash_chart(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The cash timeline as an SVG chart (the page shows the same figures as a table)."""
    svg = timeline_chart(_timeline(request, contract_id))
    response = HttpResponse(
        '<svg xmlns="http://www.w3.org/2000/svg"' + svg[4:], content_type="image/svg+xml"
    )
    response["Cache-Control"] = "private, max-age=300"
    return response
