"""What delivery adds to the contract page: counts, equality monitoring and the latest claims."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from markupsafe import Markup

from fullvalue.errors import PermissionDenied
from fullvalue.web.delivery import policy, selectors
from fullvalue.web.kernel.panels import render_panel

if TYPE_CHECKING:
    from fullvalue.web.contracts.models import Contract, SupplyChainMember
    from fullvalue.web.kernel.actor import Actor

#: How many of the latest claims the contract page lists (all are on the outcomes page).
LATEST_CLAIMS = 50


def contract_delivery(
    request: HttpRequest, actor: Actor, contract: Contract, chain: list[SupplyChainMember]
) -> Markup:
    """Delivery so far, for those allowed to see participants (empty for everyone else)."""
    try:
        people = selectors.participants_for(actor, contract, chain)
    except PermissionDenied:
        return Markup("")
    claims = selectors.claims_for(actor, contract, people)
    return render_panel(
        request,
        "delivery/panels/contract.html",
        contract=contract,
        counts=selectors.summary_counts(actor, contract, people),
        equality=selectors.equality_summary(actor, contract, people),
        claims=list(claims.order_by("-id")[:LATEST_CLAIMS]),
        own_only=not policy.reads_all_participants(actor, contract),
        can_import=policy.can_record_delivery(actor),
    )
