"""Social value's own page: a contract's social value, committed against delivered (public)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from fullvalue.errors import NotFound
from fullvalue.web.audit.selectors import write_version_for
from fullvalue.web.contracts.selectors import contract_by_id
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.pages import page
from fullvalue.web.socialvalue import panels


def contract_social_value(request: HttpRequest, contract_id: int) -> HttpResponse:
    """A contract's social value for anyone: per measure, every line valued with its formula."""
    actor = request.actor  # type: ignore[attr-defined]
    contract = contract_by_id(contract_id, version=write_version_for(request))
    if fmt := request.GET.get("format"):
        if request.GET.get("table", "social-value") != "social-value":
            raise NotFound("No such table.")
        return panels.TABLES["social-value"](actor, contract, fmt)
    body = panels.contract_social_value(request, actor, contract, [], FormState(), forms=False)
    return page(
        request,
        "socialvalue/contract.html",
        f"Social value: {contract.title}",
        contract=contract,
        body=body,
        nav_active="contracts",
    )
