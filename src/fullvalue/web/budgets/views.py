"""Community budget pages: the budgets, a business case in plain words, the ledger."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from markupsafe import Markup

from fullvalue.errors import FullvalueError
from fullvalue.web.budgets import policy, selectors, services
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.charts import paired_bars, short_pounds, tornado
from fullvalue.web.kernel.exports import table_response
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.pages import page, signin_required
from fullvalue.web.kernel.policy import refusal, require
from fullvalue.web.organisations.selectors import public_bodies
from fullvalue.web.programmes.selectors import programmes_of

#: The largest business case file taken (bytes).
MAX_CASE_FILE = 200 * 1024


def _uploaded_case(request: HttpRequest, state: FormState) -> str | None:
    """The TOML of the uploaded case file, or None with the problem on the form."""
    upload = request.FILES.get("case_file")
    if upload is None:
        state.add_error("case_file", "Choose the business case file (TOML)")
        return None
    if upload.size and upload.size > MAX_CASE_FILE:
        state.add_error("case_file", "The file must be 200 KB or smaller")
        return None
    try:
        return str(upload.read().decode("utf-8"))
    except UnicodeDecodeError:
        state.add_error("case_file", "The file must be text (TOML saved as UTF-8)")
        return None


def _absorb(state: FormState, exc: FullvalueError, rename: dict[str, str]) -> None:
    for problem in exc.problems or []:
        state.add_error(
            rename.get(problem.column or "", problem.column or "__all__"), problem.reason
        )
    if not exc.problems:
        state.add_error("__all__", exc.message)


@signin_required
def budget_list(request: HttpRequest) -> HttpResponse:
    """The community budgets the person's organisation is in; a commissioner sets one up."""
    actor = request.actor  # type: ignore[attr-defined]
    require(policy.can_see_budgets, actor)
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST, lists=["partners"])
        text = _uploaded_case(request, state)
        if text is not None:
            try:
                budget = services.budget_create(
                    actor=actor,
                    name=state.values.get("name", ""),
                    cohort=state.values.get("cohort", ""),
                    case_toml=text,
                    partner_ids=[fields.whole_or(v, 0) for v in state.values["partners"]],
                )
            except FullvalueError as exc:
                _absorb(state, exc, {"case_toml": "case_file"})
            else:
                messages.success(request, f"“{budget.name}” is set up.")
                return redirect("budget-detail", budget_id=budget.id)
    budgets = list(selectors.budgets_listed(actor))
    return page(
        request,
        "budgets/list.html",
        "Community budgets",
        state=state,
        budgets=budgets,
        bodies=[(str(i), n) for i, n in public_bodies() if i != actor.organisation_id],
        can_create=policy.can_create_budget(actor),
        nav_active="dashboard",
    )


def _payback(year: int | None, years: int) -> str:
    return f"Year {year}" if year is not None else f"Does not pay back within {years} years"


def _money(amount: Any) -> str:
    return f"{amount:.2f}"


def _tables(analysis: selectors.Analysis, ledger: selectors.Ledger) -> dict[str, Any]:
    """Each table of the page, as (filename, headers, rows) for CSV and XLSX."""
    result, years = analysis.result, analysis.case.years
    return {
        "figures": (
            "business-case",
            ["Figure", "Value"],
            [
                ["Present value of costs (GBP)", _money(result.pv_costs)],
                ["Present value of fiscal benefits (GBP)", _money(result.pv_fiscal)],
                ["Present value of economic benefits (GBP)", _money(result.pv_economic)],
                ["Present value of social benefits (GBP)", _money(result.pv_social)],
                ["Fiscal net present value (GBP)", _money(result.fiscal_npv)],
                ["Public-value net present value (GBP)", _money(result.public_value_npv)],
                ["Fiscal return on investment", result.fiscal_roi],
                ["Public-value return on investment", result.public_value_roi],
                ["Payback", _payback(result.payback_years, years)],
            ],
        ),
        "agencies": (
            "who-pays-who-benefits",
            [
                "Agency",
                "Costs paid (PV, GBP)",
                "Fiscal benefits received (PV, GBP)",
                "Cashable benefits (PV, GBP)",
                "Payback",
            ],
            [
                [
                    a.agency,
                    _money(a.pv_costs),
                    _money(a.pv_fiscal_benefits),
                    _money(a.pv_cashable_benefits),
                    "Pays nothing in" if a.pv_costs == 0 else _payback(a.payback_years, years),
                ]
                for a in result.by_agency
            ],
        ),
        "sensitivity": (
            "sensitivity",
            [
                "Assumption",
                "Fiscal return on investment",
                "Public-value return on investment",
                "Fiscal net present value (GBP)",
                "Public-value net present value (GBP)",
                "Payback",
            ],
            [
                [
                    name,
                    r.fiscal_roi,
                    r.public_value_roi,
                    _money(r.fiscal_npv),
                    _money(r.public_value_npv),
                    _payback(r.payback_years, years),
                ]
                for name, r in [
                    ("as in the case", result),
                    *((s.assumption, s.result) for s in analysis.scenarios),
                ]
            ],
        ),
        "ledger": (
            "ledger",
            ["Year", "Partner or programme", "Kind", "Amount (GBP)", "Status", "On"],
            [
                [
                    c.year,
                    c.partner.organisation.name,
                    selectors.KIND_WORDS[c.kind],
                    _money(c.amount),
                    "Agreed" if c.agreed_at else "Waiting for the partner's agreement",
                    c.agreed_at.date() if c.agreed_at else "",
                ]
                for c in ledger.rows
            ]
            + [
                [
                    "",
                    c.programme.title,
                    "Commissioned from the pool",
                    _money(-c.amount),
                    "Committed",
                    c.committed_at.date(),
                ]
                for c in ledger.commitments
            ],
        ),
    }


@signin_required
def budget_detail(request: HttpRequest, budget_id: int) -> HttpResponse:
    """A budget: its business case in plain words, who pays and who benefits, the ledger."""
    actor = request.actor  # type: ignore[attr-defined]
    budget = selectors.budget_get(actor, budget_id)
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        action = state.values.get("action")
        try:
            if action == "agree":
                services.contribution_agree(
                    actor=actor,
                    contribution_id=fields.whole_or(state.values.get("contribution", ""), 0),
                )
                done = "Contribution agreed: it now counts in the ledger."
            elif action == "commit":
                services.commitment_add(
                    actor=actor,
                    budget_id=budget.id,
                    programme_id=state.values.get("programme", ""),
                    amount=state.values.get("commit_amount", ""),
                )
                done = "Committed from the pool: commission the programme by its usual route."
            elif action == "case":
                text = _uploaded_case(request, state)
                if text is None:
                    raise FullvalueError("Choose the business case file.")
                services.case_replace(actor=actor, budget_id=budget.id, case_toml=text)
                done = "The business case is replaced; the figures below are worked out from it."
            else:
                services.contribution_record(actor=actor, budget_id=budget.id, data=state.values)
                done = "Contribution recorded. It counts once the partner agrees it."
        except FullvalueError as exc:
            if not state.errors:
                rename = {"case_toml": "case_file"}
                if action == "commit":
                    rename["amount"] = "commit_amount"
                _absorb(state, exc, rename)
        else:
            messages.success(request, done)
            return redirect("budget-detail", budget_id=budget.id)
    analysis = selectors.analysis_of(budget)
    result, years = analysis.result, analysis.case.years
    ledger = selectors.ledger_of(budget)
    if fmt := request.GET.get("format"):
        tables = _tables(analysis, ledger)
        name, headers, rows = tables.get(request.GET.get("table", ""), tables["figures"])
        return table_response(fmt, f"budget-{budget.id}-{name}", headers, rows)
    agencies = selectors.agency_rows(budget, result)
    chart = paired_bars(
        title="What each agency puts in and what its budget saves",
        description=(
            "For each agency, the present value of its costs (blue) and of the fiscal benefits "
            "that fall in its budget (black), from the business case."
        ),
        labels=[a["agency"] for a in agencies],
        first=[a["pv_costs"] for a in agencies],
        second=[a["pv_fiscal_benefits"] for a in agencies],
        legend=("Costs paid", "Fiscal benefits"),
        chart_id="budget-agencies",
    )
    moved = {s.assumption: s.result.public_value_npv for s in analysis.scenarios}
    base = result.public_value_npv
    sensitivity_chart = tornado(
        title="How far the public-value net present value moves with each assumption",
        description=(
            "For each assumption moved on its own, the public-value net present value at either "
            "end, against the figure as the case stands."
        ),
        base=base,
        base_label=f"As the case stands {short_pounds(float(base))}",
        rows=[
            (
                "Deadweight 10 points lower or higher",
                moved.get("deadweight -0.1", base),
                moved.get("deadweight +0.1", base),
            ),
            ("A quarter fewer outcomes", base, moved.get("outcomes -25%", base)),
            ("Optimism bias 10 points higher", base, moved.get("optimism bias +0.1", base)),
        ],
        chart_id="budget-sensitivity",
    )
    manage = policy.can_manage_budget(actor, budget)
    partners = selectors.partners_of(budget)
    return page(
        request,
        "budgets/detail.html",
        budget.name,
        state=state,
        budget=budget,
        case=analysis.case,
        result=result,
        scenarios=analysis.scenarios,
        payback=_payback,
        agencies=agencies,
        chart=Markup(chart),
        sensitivity_chart=Markup(sensitivity_chart),
        ledger=ledger,
        partners=partners,
        against=selectors.against_the_case(budget, analysis.case, ledger),
        can_manage=manage,
        manage_refusal=None if manage else refusal(policy.can_manage_budget),
        can_agree={c.id for c in ledger.rows if policy.can_agree_contribution(actor, c)},
        partner_choices=[(str(p.organisation_id), p.organisation.name) for p in partners],
        year_choices=[(str(t), f"Year {t}") for t in range(1, years + 1)],
        programme_choices=(
            [(str(i), title) for i, title, _ in programmes_of(budget.lead_id)] if manage else []
        ),
        nav_active="dashboard",
    )


@signin_required
def budget_case(request: HttpRequest, budget_id: int) -> HttpResponse:
    """The business case as its TOML file, for analysts to change and upload again."""
    actor = request.actor  # type: ignore[attr-defined]
    budget = selectors.budget_get(actor, budget_id)
    response = HttpResponse(budget.case_toml, content_type="application/toml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="budget-{budget.id}-case.toml"'
    return response
