"""Social value's API: a contract's committed and delivered social value (public, no token)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from fullvalue.web.api.auth import optional_actor
from fullvalue.web.api.problems import ERRORS
from fullvalue.web.api.schemas import Id
from fullvalue.web.contracts.selectors import contract_by_id
from fullvalue.web.socialvalue import selectors

router = Router(tags=["social value"])

_MONEY = "GBP as a decimal string to the penny"


class CommittedLine(Schema):
    """A commitment valued: quantity × proxy_value × (1 − deadweight) × attribution."""

    measure: str
    unit: str
    period: str
    quantity: str = Field(description="decimal string")
    proxy_value: str = Field(description=f"{_MONEY}, per unit")
    deadweight: str = Field(description="decimal string, the share that would happen anyway")
    attribution: str = Field(description="decimal string, the share due to this contract")
    value: str = Field(description=f"{_MONEY}, rounded half up")


class DeliveredLine(CommittedLine):
    """A delivery reported against a commitment, valued the same way, and its verification."""

    status: Literal["verified", "queried", "rejected", "reported"]


class CommittedOut(Schema):
    """Commitments and their total (the sum of the lines)."""

    lines: list[CommittedLine]
    total: str = Field(description=_MONEY)


class DeliveredOut(Schema):
    """Deliveries and their total: the sum of the verified lines only."""

    lines: list[DeliveredLine]
    total: str = Field(description=_MONEY)


class SocialValueOut(Schema):
    """A contract's social value: what was committed and what was delivered."""

    committed: CommittedOut
    delivered: DeliveredOut


def _text(value: Decimal) -> str:
    return str(value)


def _line(x: dict[str, Any], with_status: bool) -> dict[str, Any]:
    out = {
        "measure": x["measure"],
        "unit": x["unit"],
        "period": x["period"],
        "quantity": _text(x["quantity"]),
        "proxy_value": f"{x['proxy_value']:.2f}",
        "deadweight": _text(x["deadweight"]),
        "attribution": _text(x["attribution"]),
        "value": f"{x['value']:.2f}",
    }
    if with_status:
        out["status"] = x["status"]
    return out


def social_value_out(contract_id: int) -> dict[str, Any]:
    """The API's account of a contract's social value (money as strings to the penny)."""
    account = selectors.social_value(contract_id)
    return {
        kind: {
            "lines": [_line(x, kind == "delivered") for x in account[kind]["lines"]],
            "total": f"{account[kind]['total']:.2f}",
        }
        for kind in ("committed", "delivered")
    }


@router.get(
    "/contracts/{contract_id}/social-value", response={200: SocialValueOut, **ERRORS}, auth=None
)
def get_contract_social_value(request: HttpRequest, contract_id: Id) -> Any:
    """A contract's social value committed and delivered (public).

    The delivered total counts only the figures the commissioner verified.
    """
    optional_actor(request)
    contract = contract_by_id(contract_id)
    return social_value_out(contract.id)
