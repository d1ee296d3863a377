"""Contract pages: the list, and a contract with its supply chain, delivery and payments."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from fullvalue.domain.roles import Role
from fullvalue.engine.payments import load_spec
from fullvalue.errors import FullvalueError, NotFound, PermissionDenied
from fullvalue.web.contracts.models import Contract
from fullvalue.web.core.exports import table_response
from fullvalue.web.core.forms import FormState
from fullvalue.web.core.pages import page
from fullvalue.web.delivery import selectors as delivery
from fullvalue.web.payruns import selectors as payments
from fullvalue.web.payruns.services import flowdown_confirm, payrun_approve, payrun_prepare


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
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        action = state.values.get("action")
        try:
            if action == "prepare":
                payrun_prepare(
                    actor=actor, contract_id=contract.id, period=state.values.get("period", "")
                )
                messages.success(request, "Payment run prepared: another person must approve it.")
            elif action == "approve":
                payrun_approve(actor=actor, run_id=int(state.values.get("run", 0)))
                messages.success(request, "Payment run approved; sub-contractors' shares are due.")
            elif action == "confirm":
                flowdown_confirm(
                    actor=actor,
                    payment_id=int(state.values.get("payment", 0)),
                    paid_on=dt.date.fromisoformat(state.values.get("paid_on", "")),
                )
                messages.success(request, "Receipt confirmed.")
        except (FullvalueError, ValueError) as exc:
            if isinstance(exc, FullvalueError):
                state.absorb(exc)
            else:
                state.add_error("paid_on", "Enter the date you were paid, like 2026-11-20")
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
        "variations": list(contract.variations.all()),
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
