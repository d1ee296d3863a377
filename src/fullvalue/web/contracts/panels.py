"""What contracts adds to the contract page: its summary and supply chain, KPIs, milestones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from markupsafe import Markup

from fullvalue.web.contracts import policy
from fullvalue.web.contracts.services import kpi_add, kpi_observe, milestone_add, milestone_met
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.exports import table_response
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.panels import Action, Table, render_panel

if TYPE_CHECKING:
    from fullvalue.web.contracts.models import Contract, SupplyChainMember
    from fullvalue.web.kernel.actor import Actor


def _role_words(member: SupplyChainMember, contract: Contract) -> str:
    return "Prime" if member.organisation_id == contract.provider_id else "Sub-contractor"


def summary(
    request: HttpRequest, actor: Actor, contract: Contract, chain: list[SupplyChainMember]
) -> Markup:
    """The public part: parties, value, status, dates and the supply chain."""
    return render_panel(
        request,
        "contracts/panels/summary.html",
        contract=contract,
        chain=[(m, _role_words(m, contract)) for m in chain],
        can_change_chain=policy.can_change_supply_chain(actor, contract),
    )


def management(request: HttpRequest, actor: Actor, contract: Contract, state: FormState) -> Markup:
    """KPIs with their latest values, milestones and variations, with the forms to keep them."""
    kpis = list(contract.kpis.prefetch_related("observations").order_by("id"))
    return render_panel(
        request,
        "contracts/panels/management.html",
        contract=contract,
        state=state,
        kpis=[(k, (list(k.observations.all()) or [None])[-1]) for k in kpis],
        kpi_choices=[(str(k.id), k.name) for k in kpis],
        milestones=list(contract.milestones.all()),
        variations=list(contract.variations.select_related("made_by")),
        can_manage=policy.is_contract_commissioner(actor, contract),
        can_record_kpi=policy.can_record_kpi_value(actor, contract),
    )


def _kpi_add(actor: Actor, contract: Contract, state: FormState) -> str:
    kpi_add(actor=actor, contract_id=contract.id, data=state.values)
    return "KPI added."


def _kpi_observe(actor: Actor, contract: Contract, state: FormState) -> str:
    kpi_observe(actor=actor, kpi_id=_row_id(state, "kpi"), data=state.values)
    return "KPI value recorded."


def _milestone_add(actor: Actor, contract: Contract, state: FormState) -> str:
    milestone_add(
        actor=actor,
        contract_id=contract.id,
        title=state.values.get("title", ""),
        due_date=state.values.get("due_date", ""),
    )
    return "Milestone added."


def _milestone_met(actor: Actor, contract: Contract, state: FormState) -> str:
    milestone = _row_id(state, "milestone")
    milestone_met(
        actor=actor,
        milestone_id=milestone,
        met_on=state.values.get(f"met_on-{milestone}", ""),
    )
    return "Milestone marked as met."


def _row_id(state: FormState, key: str) -> int:
    """The id of the row a one-form-per-row button posts (0, which matches nothing, if bad)."""
    raw = state.values.get(key, "")
    return fields.whole_or(raw, 0)


ACTIONS: dict[str, Action] = {
    "kpi_add": _kpi_add,
    "kpi_observe": _kpi_observe,
    "milestone_add": _milestone_add,
    "milestone_met": _milestone_met,
}

#: Fields whose errors belong to one row's form (``met_on`` -> ``met_on-<milestone id>``).
ROW_FIELDS = {"met_on": "milestone"}


def _supply_chain_table(actor: Actor, contract: Contract, fmt: str) -> HttpResponse:
    chain = contract.supply_chain.select_related("organisation").order_by("-share_of_value")
    return table_response(
        fmt,
        f"contract-{contract.id}-supply-chain",
        ["organisation", "role", "share_of_value", "share_of_work", "payment_terms_days"],
        [
            [
                m.organisation.name,
                _role_words(m, contract),
                m.share_of_value,
                m.share_of_work,
                m.payment_terms_days,
            ]
            for m in chain
        ],
    )


def _kpis_table(actor: Actor, contract: Contract, fmt: str) -> HttpResponse:
    rows: list[list[Any]] = [
        [k.name, k.unit, k.target, k.higher_is_better, o.period_start, o.period_end, o.value]
        for k in contract.kpis.prefetch_related("observations").order_by("id")
        for o in k.observations.all()
    ]
    return table_response(
        fmt,
        f"contract-{contract.id}-kpis",
        ["kpi", "unit", "target", "higher_is_better", "period_start", "period_end", "value"],
        rows,
    )


def _milestones_table(actor: Actor, contract: Contract, fmt: str) -> HttpResponse:
    return table_response(
        fmt,
        f"contract-{contract.id}-milestones",
        ["milestone", "due_date", "met_on"],
        [[m.title, m.due_date, m.met_on] for m in contract.milestones.all()],
    )


TABLES: dict[str, Table] = {
    "supply-chain": _supply_chain_table,
    "kpis": _kpis_table,
    "milestones": _milestones_table,
}
