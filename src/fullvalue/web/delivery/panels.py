"""What delivery adds to the contract page: counts, equality monitoring and the latest claims."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from markupsafe import Markup

from fullvalue.errors import PermissionDenied
from fullvalue.web.core.panels import render_panel
from fullvalue.web.delivery import policy, selectors

if TYPE_CHECKING:
    from fullvalue.web.contracts.models import Contract
    from fullvalue.web.core.actor import Actor

#: How many of the latest claims the contract page lists (all are on the outcomes page).
LATEST_CLAIMS = 50


def contract_delivery(request: HttpRequest, actor: Actor, contract: Contract) -> Markup:
    """Delivery so far, for those allowed to see participants (empty for everyone else)."""
    try:
        counts = selectors.summary_counts(actor, contract)
    except PermissionDenied:
        return Markup("")
    return render_panel(
        request,
        "delivery/panels/contract.html",
        contract=contract,
        counts=counts,
        equality=selectors.equality_summary(actor, contract),
        claims=list(selectors.claims_for(actor, contract).order_by("-id")[:LATEST_CLAIMS]),
        own_only=not policy.reads_all_participants(actor, contract),
        can_import=policy.can_record_delivery(actor),
    )
