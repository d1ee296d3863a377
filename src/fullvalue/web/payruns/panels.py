"""What payments add to the contract page: the public payment record, runs and what is owed."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from markupsafe import Markup

from fullvalue.engine.payments import parse_spec
from fullvalue.errors import FullvalueError, Problem
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.exports import table_response
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.panels import Action, Table, render_panel
from fullvalue.web.payruns import policy, selectors
from fullvalue.web.payruns.services import flowdown_confirm, payrun_approve, payrun_request

if TYPE_CHECKING:
    from fullvalue.web.contracts.models import Contract
    from fullvalue.web.kernel.actor import Actor


def payment_record(request: HttpRequest, actor: Actor, contract: Contract) -> Markup:
    """How promptly the prime pays its supply chain (public)."""
    return render_panel(
        request, "payruns/panels/record.html", record=selectors.payment_record(contract)
    )


def contract_payments(
    request: HttpRequest, actor: Actor, contract: Contract, state: FormState
) -> Markup:
    """Payment runs (commissioner, prime, auditors) and what the prime owes the actor."""
    owed = [p for p in selectors.owed_to(actor) if p.run.contract_id == contract.id]
    runs = None
    if policy.can_read_payment_runs(actor, contract):
        runs = [
            (run, policy.can_approve_payment_run(actor, run), policy.approval_refusal(actor, run))
            for run in selectors.runs_for(actor, contract)
        ]
    if runs is None and not owed:
        return Markup("")
    periods = []
    if runs is not None and policy.can_run_payments(actor, contract):
        periods = [(name, name) for name in _period_names(contract)]
    return render_panel(
        request,
        "payruns/panels/contract.html",
        contract=contract,
        state=state,
        runs=runs,
        periods=periods,
        owed=owed,
        can_confirm=[policy.can_confirm_receipt(actor, p) for p in owed],
    )


def _period_names(contract: Contract) -> list[str]:
    if not contract.mechanism_toml.strip():
        return []
    spec = parse_spec(contract.mechanism_toml)
    return [p.name for p in sorted(spec.periods, key=lambda p: p.start)]


def _prepare(actor: Actor, contract: Contract, state: FormState) -> str:
    payrun_request(actor=actor, contract_id=contract.id, period=state.values.get("period", ""))
    return (
        "The payment run is being prepared in the background: refresh in a moment. "
        "Another person must approve it."
    )


def _approve(actor: Actor, contract: Contract, state: FormState) -> str:
    raw = state.values.get("run", "")
    payrun_approve(actor=actor, run_id=fields.whole_or(raw, 0))
    return "Payment run approved; sub-contractors' shares are due."


def _confirm(actor: Actor, contract: Contract, state: FormState) -> str:
    raw = state.values.get("payment", "")
    field = f"paid_on-{raw}"
    try:
        paid_on = dt.date.fromisoformat(state.values.get(field, ""))
    except ValueError:
        raise FullvalueError.from_problems(
            "Enter the date you were paid.",
            [Problem("Enter the date you were paid, like 2026-11-20", column=field)],
        ) from None
    flowdown_confirm(
        actor=actor,
        payment_id=fields.whole_or(raw, 0),
        paid_on=paid_on,
    )
    return "Receipt confirmed."


ACTIONS: dict[str, Action] = {"prepare": _prepare, "approve": _approve, "confirm": _confirm}

#: Fields whose errors belong to one row's form (``paid_on`` -> ``paid_on-<payment id>``).
ROW_FIELDS = {"paid_on": "payment"}


def _owed_table(actor: Actor, contract: Contract, fmt: str) -> HttpResponse:
    return table_response(
        fmt,
        f"contract-{contract.id}-owed",
        ["period", "amount", "due_on", "paid_on"],
        [
            [p.run.period, p.amount, p.due_on, p.paid_on]
            for p in selectors.owed_to(actor)
            if p.run.contract_id == contract.id
        ],
    )


TABLES: dict[str, Table] = {"owed": _owed_table}
