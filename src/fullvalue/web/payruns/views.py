"""Remittance statements: what a payment run paid, line by line, and what flows down."""

from __future__ import annotations

import io
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from fpdf import FPDF

from fullvalue.errors import NotFound
from fullvalue.web.core.exports import table_response
from fullvalue.web.core.pages import page, signin_required
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
