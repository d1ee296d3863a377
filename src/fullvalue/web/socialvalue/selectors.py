"""Reads of social value: commitments, deliveries, and the valued account of a contract.

Every valued figure comes from :func:`fullvalue.domain.socialvalue.line_value`; a total is the
sum of its rounded lines, and the delivered total counts verified deliveries only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fullvalue.domain.socialvalue import line_value, total_of
from fullvalue.errors import NotFound
from fullvalue.web.socialvalue.models import Commitment, Delivery

VERIFIED = Delivery.Status.VERIFIED
STATUSES = [(s.value, s.label) for s in Delivery.Status]


def commitments_of(contract_id: int) -> list[Commitment]:
    """A contract's commitments, by period then measure."""
    return list(Commitment.objects.filter(contract_id=contract_id).order_by("period", "id"))


def deliveries_of(contract_id: int) -> list[Delivery]:
    """Deliveries reported against a contract's commitments, oldest period first."""
    return list(
        Delivery.objects.filter(commitment__contract_id=contract_id)
        .select_related("commitment", "organisation")
        .order_by("period", "id")
    )


def commitment_by_id(commitment_id: int) -> Commitment:
    """One commitment; "No such commitment" when there is none."""
    commitment = Commitment.objects.filter(id=commitment_id).first()
    if commitment is None:
        raise NotFound("No such commitment.")
    return commitment


def delivery_by_id(delivery_id: int, *, for_update: bool = False) -> Delivery:
    """One delivery with its commitment; "No such delivery" when there is none."""
    qs = Delivery.objects.select_for_update() if for_update else Delivery.objects
    delivery = qs.select_related("commitment").filter(id=delivery_id).first()
    if delivery is None:
        raise NotFound("No such delivery.")
    return delivery


def _line(c: Commitment, quantity: Decimal, period: str) -> dict[str, Any]:
    return {
        "measure": c.measure,
        "unit": c.unit,
        "period": period,
        "quantity": quantity,
        "proxy_value": c.proxy_value,
        "deadweight": c.deadweight,
        "attribution": c.attribution,
        "value": line_value(quantity, c.proxy_value, c.deadweight, c.attribution),
        "source": c.source,
    }


def committed_line(c: Commitment) -> dict[str, Any]:
    """A commitment as a valued line."""
    return {**_line(c, c.quantity, c.period), "id": c.id}


def delivered_line(d: Delivery) -> dict[str, Any]:
    """A delivery as a valued line, with its status (valued in a total only once verified)."""
    return {
        **_line(d.commitment, d.quantity, d.period),
        "id": d.id,
        "commitment_id": d.commitment_id,
        "status": d.status,
        "status_label": d.get_status_display(),
        "reason": d.reason,
        "evidence": d.evidence,
        "reported_by": d.organisation.name,
    }


def social_value(contract_id: int) -> dict[str, Any]:
    """Committed and delivered lines with their totals (the delivered total: verified only)."""
    committed = [committed_line(c) for c in commitments_of(contract_id)]
    delivered = [delivered_line(d) for d in deliveries_of(contract_id)]
    return {
        "committed": {"lines": committed, "total": total_of(x["value"] for x in committed)},
        "delivered": {
            "lines": delivered,
            "total": total_of(x["value"] for x in delivered if x["status"] == VERIFIED),
        },
    }


def by_measure(account: dict[str, Any]) -> list[dict[str, Any]]:
    """Committed against verified delivery per measure and unit (quantities and values)."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}

    def row(line: dict[str, Any]) -> dict[str, Any]:
        key = (line["measure"], line["unit"])
        return rows.setdefault(
            key,
            {
                "measure": key[0],
                "unit": key[1],
                "committed": Decimal(0),
                "delivered": Decimal(0),
                "committed_value": Decimal("0.00"),
                "delivered_value": Decimal("0.00"),
            },
        )

    for line in account["committed"]["lines"]:
        r = row(line)
        r["committed"] += line["quantity"]
        r["committed_value"] += line["value"]
    for line in account["delivered"]["lines"]:
        if line["status"] == VERIFIED:
            r = row(line)
            r["delivered"] += line["quantity"]
            r["delivered_value"] += line["value"]
    out = list(rows.values())
    for r in out:  # each measure on its own scale: units differ (jobs, hours)
        top = max(r["committed"], r["delivered"])
        r["committed_width"] = int(100 * r["committed"] / top) if top else 0
        r["delivered_width"] = int(100 * r["delivered"] / top) if top else 0
    return out
