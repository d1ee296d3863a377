"""Contract pages of the contracts capability: entering a contract, and its supply chain.

The contract list and the contract page join several capabilities, so the site layer
assembles them (:mod:`fullvalue.web.site.contract`).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from fullvalue.errors import FullvalueError
from fullvalue.web.contracts import policy
from fullvalue.web.contracts.selectors import contract_by_id
from fullvalue.web.contracts.services import (
    MAX_FLOW_DOWN_DAYS,
    contract_create,
    supply_chain_set,
)
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.pages import page, signin_required
from fullvalue.web.kernel.policy import require
from fullvalue.web.organisations.selectors import provider_choices
from fullvalue.web.programmes.selectors import MECHANISM_TEMPLATES
from fullvalue.web.programmes.selectors import mechanism_template_toml as template_toml


@signin_required
def contract_new(request: HttpRequest) -> HttpResponse:
    """Enter an existing contract or grant directly (commissioners)."""
    actor = request.actor  # type: ignore[attr-defined]
    require(policy.can_enter_contract, actor)
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
        providers=provider_choices(),
        templates=list(MECHANISM_TEMPLATES.items()),
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
    contract = contract_by_id(contract_id)
    require(policy.can_change_supply_chain, actor, contract)
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
        count = max(0, min(50, fields.whole_or(state.values.get("rows", ""), count)))
        members, index = [], []
        for i in range(count):
            org = state.values.get(f"organisation_{i}", "")
            if not org:
                continue
            members.append(
                {
                    "organisation_id": fields.whole_or(org, 0),
                    "share_of_value": _percent(state.values.get(f"share_of_value_{i}", "")),
                    "share_of_work": _percent(state.values.get(f"share_of_work_{i}", "")),
                    "upfront_share": _percent(state.values.get(f"upfront_share_{i}", "")),
                    "payment_terms_days": state.values.get(f"payment_terms_days_{i}", "")
                    or str(MAX_FLOW_DOWN_DAYS),
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
        (value, name) for value, name in provider_choices() if value != str(contract.provider_id)
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
