"""What social value adds to the contract page: committed against verified delivery (public).

And the forms to add a commitment, report a delivery and verify it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from markupsafe import Markup

from fullvalue.domain.socialvalue import FORMULA
from fullvalue.errors import FullvalueError, NotFound, Problem
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.exports import table_response
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.panels import Action, Table, render_panel
from fullvalue.web.socialvalue import policy, selectors, services

if TYPE_CHECKING:
    from fullvalue.web.contracts.models import Contract
    from fullvalue.web.kernel.actor import Actor

#: Form fields of this panel (prefixed: the contract page holds other capabilities' forms).
COMMIT_FIELDS = (
    "measure", "unit", "period", "quantity", "proxy_value", "deadweight", "attribution", "source",
)  # fmt: skip
REPORT_FIELDS = ("period", "quantity", "evidence")


def contract_social_value(
    request: HttpRequest,
    actor: Actor,
    contract: Contract,
    chain: list[Any],
    state: FormState,
    *,
    forms: bool = True,
) -> Markup:
    """Committed against verified delivery per measure, every valued line with its formula.

    ``forms``: the forms the actor may use (the contract page); the public page has none.
    """
    account = selectors.social_value(contract.id)
    return render_panel(
        request,
        "socialvalue/panels/contract.html",
        contract=contract,
        state=state,
        account=account,
        measures=selectors.by_measure(account),
        formula=FORMULA,
        commitments=[(str(line["id"]), line["measure"] + " — " + line["period"])
                     for line in account["committed"]["lines"]],
        can_add=forms and policy.can_add_commitment(actor, contract),
        can_report=forms and policy.can_report(actor, contract, chain),
        can_verify=forms and policy.can_verify(actor, contract),
        own_page=not forms,
    )  # fmt: skip


def _renamed(call: Callable[[], Any], prefix: str) -> Any:
    """Run a service, putting its problems on this panel's prefixed fields."""
    try:
        return call()
    except FullvalueError as exc:
        if not exc.problems:
            raise
        raise FullvalueError.from_problems(
            exc.message,
            [dataclasses.replace(p, column=f"{prefix}{p.column}") for p in exc.problems],
        ) from None


def _commit(actor: Actor, contract: Contract, state: FormState) -> str:
    data = {name: state.values.get(f"svc_{name}", "") for name in COMMIT_FIELDS}
    _renamed(
        lambda: services.commitment_add(actor=actor, contract_id=contract.id, data=data), "svc_"
    )
    return "Social value commitment added."


def _report(actor: Actor, contract: Contract, state: FormState) -> str:
    raw = state.values.get("svr_commitment", "")
    ids = {c.id for c in selectors.commitments_of(contract.id)}
    if fields.whole_or(raw, 0) not in ids:
        raise FullvalueError.from_problems(
            "Choose the commitment.",
            [Problem("Choose the commitment delivered against", column="svr_commitment")],
        )
    data = {name: state.values.get(f"svr_{name}", "") for name in REPORT_FIELDS}
    _renamed(
        lambda: services.delivery_report(actor=actor, commitment_id=int(raw), data=data), "svr_"
    )
    return "Delivery reported: the commissioner verifies it before it counts."


def _decide(actor: Actor, contract: Contract, state: FormState) -> str:
    raw = state.values.get("sv_delivery", "")
    decision = state.values.get("decision", "")
    delivery = selectors.delivery_by_id(fields.whole_or(raw, 0))
    if delivery.commitment.contract_id != contract.id:
        raise NotFound("No such delivery on this contract.")
    _renamed(
        lambda: services.delivery_decide(
            actor=actor,
            delivery_id=delivery.id,
            decision=decision,
            reason=state.values.get(f"sv_reason-{delivery.id}", ""),
        ),
        "sv_",
    )
    return {"verify": "Verified: it now counts in the delivered total.",
            "query": "Queried: the provider sees your question.",
            "reject": "Rejected, with your reason."}[decision]  # fmt: skip


ACTIONS: dict[str, Action] = {"sv_commit": _commit, "sv_report": _report, "sv_decide": _decide}

#: Fields whose errors belong to one row's form (``sv_reason`` -> ``sv_reason-<delivery id>``).
ROW_FIELDS = {"sv_reason": "sv_delivery"}

HEADERS = [
    "kind", "measure", "unit", "period", "quantity", "proxy_value", "deadweight", "attribution",
    "value", "status", "counted_in_total", "source",
]  # fmt: skip


def _table(actor: Actor, contract: Contract, fmt: str) -> HttpResponse:
    account = selectors.social_value(contract.id)
    rows = [
        ["committed", x["measure"], x["unit"], x["period"], x["quantity"], x["proxy_value"],
         x["deadweight"], x["attribution"], x["value"], "", "yes", x["source"]]
        for x in account["committed"]["lines"]
    ] + [
        ["delivered", x["measure"], x["unit"], x["period"], x["quantity"], x["proxy_value"],
         x["deadweight"], x["attribution"], x["value"], x["status_label"],
         "yes" if x["status"] == selectors.VERIFIED else "no", x["source"]]
        for x in account["delivered"]["lines"]
    ]  # fmt: skip
    return table_response(fmt, f"contract-{contract.id}-social-value", HEADERS, rows)


TABLES: dict[str, Table] = {"social-value": _table}
