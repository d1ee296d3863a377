"""The contract page, assembled from the panels of contracts, delivery and payments.

Each capability renders its own part (``panels.py``) and handles its own forms (``ACTIONS``)
and downloads (``TABLES``); this module only orders them and routes a post or a download to
the capability that owns it.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from markupsafe import Markup

from fullvalue.errors import FullvalueError, NotFound
from fullvalue.web.audit.selectors import write_version_for
from fullvalue.web.contracts import panels as contract_panels
from fullvalue.web.contracts import policy as contract_policy
from fullvalue.web.contracts.selectors import contract_by_id, contracts_listed, supply_chain
from fullvalue.web.delivery import panels as delivery_panels
from fullvalue.web.kernel.exports import table_response
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.pages import page
from fullvalue.web.kernel.panels import cached_panel
from fullvalue.web.payruns import panels as payment_panels
from fullvalue.web.payruns.selectors import payment_records
from fullvalue.web.socialvalue import panels as socialvalue_panels

ACTIONS = {**contract_panels.ACTIONS, **payment_panels.ACTIONS, **socialvalue_panels.ACTIONS}
TABLES = {**contract_panels.TABLES, **payment_panels.TABLES, **socialvalue_panels.TABLES}
ROW_FIELDS = {
    **contract_panels.ROW_FIELDS,
    **payment_panels.ROW_FIELDS,
    **socialvalue_panels.ROW_FIELDS,
}


def contract_list(request: HttpRequest) -> HttpResponse:
    """Contracts (public: title, parties, value, and how promptly the supply chain is paid)."""
    contracts = list(contracts_listed())
    records = payment_records([c.id for c in contracts])
    rows = [(c, records[c.id]) for c in contracts]
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

    The summary, supply chain, payment record and social value are public; delivery and payment
    runs are for the commissioner, the supply chain, auditors and administrators.
    """
    actor = request.actor  # type: ignore[attr-defined]
    version = write_version_for(request) if request.method == "GET" else None
    contract = contract_by_id(contract_id, version=version)
    if fmt := request.GET.get("format"):
        table = TABLES.get(request.GET.get("table", "supply-chain"))
        if table is None:
            raise NotFound("No such table.")
        return table(actor, contract, fmt)
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        action = ACTIONS.get(state.values.get("action", ""))
        if action is None:
            state.add_error("__all__", "Choose which item to change")
        else:
            try:
                message = action(actor, contract, state)
            except FullvalueError as exc:
                state.absorb(exc)
            else:
                messages.success(request, message)
                return redirect("contract-detail", contract_id=contract.id)
        for field, key in ROW_FIELDS.items():
            if field in state.errors:  # one form per row: the error goes to that row's field
                state.errors[f"{field}-{state.values.get(key, '')}"] = state.errors.pop(field)

    def render() -> Markup:
        chain = supply_chain(contract)
        panels = [
            contract_panels.summary(request, actor, contract, chain),
            payment_panels.payment_record(request, actor, contract),
            socialvalue_panels.contract_social_value(request, actor, contract, chain, state),
        ]
        if contract_policy.is_insider(actor, contract, chain):
            panels += [
                delivery_panels.contract_delivery(request, actor, contract, chain),
                payment_panels.contract_payments(request, actor, contract, state),
            ]
        panels.append(contract_panels.management(request, actor, contract, state))
        return Markup("").join(panels)

    if state.values or state.errors:  # a form shown again with what was typed: not cached
        body = render()
    else:
        reader = (actor.user_id, actor.membership_id, actor.role, actor.organisation_id)
        parts = [
            "contract-page",
            contract.id,
            write_version_for(request),
            reader,
            timezone.localdate(),
        ]
        body = cached_panel(request, parts, render)
    return page(
        request,
        "site/contract.html",
        contract.title,
        state=state,
        contract=contract,
        body=body,
        nav_active="contracts",
    )
