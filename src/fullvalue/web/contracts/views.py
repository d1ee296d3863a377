"""Contract pages: the list, and a contract with its supply chain, delivery and payments."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from fullvalue.domain.roles import Role
from fullvalue.engine.payments import load_spec
from fullvalue.errors import FullvalueError, NotFound, PermissionDenied
from fullvalue.web.contracts.models import Contract
from fullvalue.web.contracts.services import (
    contract_create,
    kpi_add,
    kpi_observe,
    milestone_add,
    milestone_met,
    supply_chain_set,
)
from fullvalue.web.core import fields
from fullvalue.web.core.exports import table_response
from fullvalue.web.core.forms import FormState
from fullvalue.web.core.pages import page, signin_required
from fullvalue.web.delivery import selectors as delivery
from fullvalue.web.organisations.models import Organisation, Sector
from fullvalue.web.payruns import selectors as payments
from fullvalue.web.payruns.services import flowdown_confirm, payrun_approve, payrun_request
from fullvalue.web.programmes.views import TEMPLATES as MECHANISM_TEMPLATES
from fullvalue.web.programmes.views import template_toml


def contract_list(request: HttpRequest) -> HttpResponse:
    """Contracts (public: title, parties, value, and how promptly the supply chain is paid)."""
    contracts = list(Contract.objects.select_related("commissioner", "provider"))
    rows = [(c, payments.payment_record(c)) for c in contracts]
    fmt = request.GET.get("format")
    if fmt:
        return table_response(
            fmt,
            "contracts",
            [
                "title",
                "commissioner",
                "provider",
                "value",
                "status",
                "average_days_to_pay",
                "share_paid_within_30_days",
                "overdue_payments",
            ],
            [
                [
                    c.title,
                    c.commissioner.name,
                    c.provider.name,
                    c.value,
                    c.get_status_display(),
                    r.average_days_to_pay,
                    r.share_within_30_days,
                    r.overdue,
                ]
                for c, r in rows
            ],
        )
    return page(request, "contracts/list.html", "Contracts", rows=rows, nav_active="contracts")


def _contract_table(request: HttpRequest, actor: Any, contract: Contract, fmt: str) -> HttpResponse:
    """One of the contract page's tables as CSV or XLSX (``?table=``), with the page's rules."""
    table = request.GET.get("table", "supply-chain")
    name = f"contract-{contract.id}-{table}"
    if table == "supply-chain":
        chain = contract.supply_chain.select_related("organisation").order_by("-share_of_value")
        return table_response(
            fmt,
            name,
            ["organisation", "role", "share_of_value", "share_of_work", "payment_terms_days"],
            [
                [
                    m.organisation.name,
                    "prime" if m.organisation_id == contract.provider_id else "sub-contractor",
                    m.share_of_value,
                    m.share_of_work,
                    m.payment_terms_days,
                ]
                for m in chain
            ],
        )
    if table == "kpis":
        rows = [
            [k.name, k.unit, k.target, k.higher_is_better, o.period_start, o.period_end, o.value]
            for k in contract.kpis.prefetch_related("observations").order_by("id")
            for o in (list(k.observations.all()) or [None])
            if o is not None
        ]
        return table_response(
            fmt,
            name,
            ["kpi", "unit", "target", "higher_is_better", "period_start", "period_end", "value"],
            rows,
        )
    if table == "milestones":
        return table_response(
            fmt,
            name,
            ["milestone", "due_date", "met_on"],
            [[m.title, m.due_date, m.met_on] for m in contract.milestones.all()],
        )
    if table == "owed":
        return table_response(
            fmt,
            name,
            ["period", "amount", "due_on", "paid_on"],
            [
                [p.run.period, p.amount, p.due_on, p.paid_on]
                for p in payments.owed_to(actor)
                if p.run.contract_id == contract.id
            ],
        )
    raise NotFound("No such table.")


def contract_detail(request: HttpRequest, contract_id: int) -> HttpResponse:
    """A contract's page.

    The supply chain and its payment record are public; delivery and payment runs are for the
    commissioner, the supply chain, auditors and administrators.
    """
    actor = request.actor  # type: ignore[attr-defined]
    contract = (
        Contract.objects.select_related("commissioner", "provider").filter(id=contract_id).first()
    )
    if contract is None:
        raise NotFound("No such contract.")
    if fmt := request.GET.get("format"):
        return _contract_table(request, actor, contract, fmt)
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        action = state.values.get("action")
        try:
            if action == "prepare":
                payrun_request(
                    actor=actor, contract_id=contract.id, period=state.values.get("period", "")
                )
                messages.success(
                    request,
                    "The payment run is being prepared in the background: refresh in a moment. "
                    "Another person must approve it.",
                )
            elif action == "approve":
                payrun_approve(
                    actor=actor, run_id=fields.identifier(state.values.get("run", ""), "run")
                )
                messages.success(request, "Payment run approved; sub-contractors' shares are due.")
            elif action == "kpi_add":
                kpi_add(actor=actor, contract_id=contract.id, data=state.values)
                messages.success(request, "KPI added.")
            elif action == "kpi_observe":
                kpi_observe(
                    actor=actor,
                    kpi_id=fields.identifier(state.values.get("kpi", ""), "kpi"),
                    data=state.values,
                )
                messages.success(request, "KPI value recorded.")
            elif action == "milestone_add":
                milestone_add(
                    actor=actor,
                    contract_id=contract.id,
                    title=state.values.get("title", ""),
                    due_date=state.values.get("due_date", ""),
                )
                messages.success(request, "Milestone added.")
            elif action == "milestone_met":
                milestone_met(
                    actor=actor,
                    milestone_id=fields.identifier(state.values.get("milestone", ""), "milestone"),
                    met_on=state.values.get(f"met_on-{state.values.get('milestone', '')}", ""),
                )
                messages.success(request, "Milestone marked as met.")
            elif action == "confirm":
                flowdown_confirm(
                    actor=actor,
                    payment_id=fields.identifier(state.values.get("payment", ""), "payment"),
                    paid_on=dt.date.fromisoformat(
                        state.values.get(f"paid_on-{state.values.get('payment', '')}", "")
                    ),
                )
                messages.success(request, "Receipt confirmed.")
        except (FullvalueError, ValueError) as exc:
            if isinstance(exc, FullvalueError):
                state.absorb(exc)
            elif action == "confirm":
                state.add_error("paid_on", "Enter the date you were paid, like 2026-11-20")
            else:
                state.add_error("__all__", "Choose which item to change")
        for field, key in (("met_on", "milestone"), ("paid_on", "payment")):
            if field in state.errors:  # one form per row: the error goes to that row's field
                state.errors[f"{field}-{state.values.get(key, '')}"] = state.errors.pop(field)
        if not state.errors:
            return redirect("contract-detail", contract_id=contract.id)
    chain = list(contract.supply_chain.select_related("organisation").order_by("-share_of_value"))
    in_chain = any(actor.belongs_to(m.organisation_id) for m in chain)
    insider = (
        in_chain
        or actor.belongs_to(contract.commissioner_id)
        or actor.role in (Role.AUDITOR, Role.SYSTEM_ADMIN)
    )
    context: dict = {
        "contract": contract,
        "chain": chain,
        "record": payments.payment_record(contract),
        "insider": insider,
        "variations": list(contract.variations.select_related("made_by")),
        "kpis": list(contract.kpis.prefetch_related("observations").order_by("id")),
        "milestones": list(contract.milestones.all()),
        "kpi_choices": [(str(k.id), k.name) for k in contract.kpis.order_by("id")],
        "is_commissioner": actor.role == Role.COMMISSIONER
        and actor.belongs_to(contract.commissioner_id),
        "is_prime": actor.role in (Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF)
        and actor.belongs_to(contract.provider_id),
    }
    if insider:
        try:
            context["counts"] = delivery.summary_counts(actor, contract)
            context["equality"] = delivery.equality_summary(actor, contract)
            context["claims"] = list(delivery.claims_for(actor, contract).order_by("-id")[:50])
        except PermissionDenied:
            pass
        try:
            context["runs"] = list(payments.runs_for(actor, contract))
        except PermissionDenied:
            context["runs"] = []
        context["owed"] = [p for p in payments.owed_to(actor) if p.run.contract_id == contract.id]
        if contract.mechanism_toml.strip():
            context["periods"] = [
                (p.name, p.name)
                for p in sorted(
                    load_spec(contract.mechanism_toml + "\n").periods, key=lambda p: p.start
                )
            ]
    return page(
        request,
        "contracts/detail.html",
        contract.title,
        state=state,
        nav_active="contracts",
        **context,
    )


def _provider_choices() -> list[tuple[str, str]]:
    return [
        (str(pk), name)
        for pk, name in Organisation.objects.exclude(sector=Sector.PUBLIC)
        .order_by("name")
        .values_list("id", "name")
    ]


@signin_required
def contract_new(request: HttpRequest) -> HttpResponse:
    """Enter an existing contract or grant directly (commissioners)."""
    actor = request.actor  # type: ignore[attr-defined]
    if actor.role not in (Role.COMMISSIONER, Role.SYSTEM_ADMIN):
        raise PermissionDenied("Only commissioners enter contracts.")
    state = FormState(values={"kind": "contract", "template": ""})
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        data = dict(state.values)
        if not data.get("mechanism_toml", "").strip() and data.get("template"):
            data["mechanism_toml"] = template_toml(data["template"])
        try:
            contract = contract_create(actor=actor, data=data)
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(request, "Contract entered. Now add its supply chain.")
            return redirect("contract-detail", contract_id=contract.id)
    return page(
        request,
        "contracts/new.html",
        "Enter a contract or grant",
        state=state,
        providers=_provider_choices(),
        templates=[(k, v) for k, v in MECHANISM_TEMPLATES.items()],
        nav_active="contracts",
    )


#: Blank rows the supply-chain form offers for new sub-contractors (no JavaScript needed).
NEW_ROWS = 2


def _percent(text: str) -> str:
    """A percentage typed by a person ("30", "30%", "12.5") as a share ("0.3")."""
    cleaned = text.strip().rstrip("%").strip()
    if not cleaned:
        return "0"
    try:
        return str(fields.number(cleaned, "share") / 100)
    except fields.FieldInvalid:
        return cleaned  # the service names it as not a share


@signin_required
def supply_chain_edit(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The prime (or the commissioner) sets the sub-contractors, their shares and terms."""
    actor = request.actor  # type: ignore[attr-defined]
    contract = (
        Contract.objects.select_related("commissioner", "provider").filter(id=contract_id).first()
    )
    if contract is None:
        raise NotFound("No such contract.")
    if not (
        (actor.role == Role.PROVIDER_ADMIN and actor.belongs_to(contract.provider_id))
        or (actor.role == Role.COMMISSIONER and actor.belongs_to(contract.commissioner_id))
        or actor.is_system_admin
    ):
        raise PermissionDenied("Only the prime or the commissioner can change the supply chain.")
    subs = list(
        contract.supply_chain.exclude(organisation_id=contract.provider_id)
        .select_related("organisation")
        .order_by("id")
    )
    count = len(subs) + NEW_ROWS
    state = FormState()
    for i, m in enumerate(subs):
        state.values.update(
            {
                f"organisation_{i}": str(m.organisation_id),
                f"share_of_value_{i}": f"{m.share_of_value * 100:g}",
                f"share_of_work_{i}": f"{m.share_of_work * 100:g}",
                f"payment_terms_days_{i}": str(m.payment_terms_days),
                f"upfront_share_{i}": f"{m.upfront_share * 100:g}",
            }
        )
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        with contextlib.suppress(ValueError):
            count = max(0, min(50, int(state.values.get("rows", count))))
        members, index = [], []
        for i in range(count):
            org = state.values.get(f"organisation_{i}", "")
            if not org:
                continue
            members.append(
                {
                    "organisation_id": int(org) if org.isdigit() else 0,
                    "share_of_value": _percent(state.values.get(f"share_of_value_{i}", "")),
                    "share_of_work": _percent(state.values.get(f"share_of_work_{i}", "")),
                    "upfront_share": _percent(state.values.get(f"upfront_share_{i}", "")),
                    "payment_terms_days": state.values.get(f"payment_terms_days_{i}", "") or "30",
                }
            )
            index.append(i)
        try:
            supply_chain_set(
                actor=actor,
                contract_id=contract.id,
                members=members,
                reason=state.values.get("reason", ""),
            )
        except FullvalueError as exc:
            for problem in exc.problems:
                location = problem.location or ""
                field = {"organisation_id": "organisation"}.get(
                    problem.column or "", problem.column
                )
                if location.startswith("members[") and field:
                    row = index[int(location[8:-1])]
                    state.add_error(f"{field}_{row}", problem.reason)
                elif field == "organisation":
                    state.add_error(f"organisation_{index[0] if index else 0}", problem.reason)
                elif problem.column == "share_of_value":
                    state.add_error(f"share_of_value_{index[0] if index else 0}", problem.reason)
                else:
                    state.add_error(problem.column or "__all__", problem.reason)
            if not exc.problems:
                state.add_error("__all__", exc.message)
        else:
            messages.success(request, "Supply chain saved; the change is recorded as a variation.")
            return redirect("contract-detail", contract_id=contract.id)
    organisations = [
        (value, name) for value, name in _provider_choices() if value != str(contract.provider_id)
    ]
    return page(
        request,
        "contracts/supply_chain.html",
        "Supply chain",
        state=state,
        contract=contract,
        rows=range(count),
        organisations=organisations,
        nav_active="contracts",
    )
