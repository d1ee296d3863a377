"""Shares of awarded value and concentration, from compiled OCDS releases.

Rules (issue 21): only awards with status ``active`` count; their value in GBP is measured and
any other currency is reported apart, never converted; an award with several suppliers (a
consortium) splits its value equally among them, to the penny, the parts adding up to the whole;
a supplier is VCSE when its party's ``details.vcse`` is true or its identifier is on a charity
register (``GB-CHC``, ``GB-SC``, ``GB-NIC``); small or medium (SME) when ``details.scale`` is one of
``micro``, ``sme``, ``small``, ``medium``, ``selfEmployed``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

CHARITY_REGISTERS = frozenset({"GB-CHC", "GB-SC", "GB-NIC"})
SME_SCALES = frozenset({"micro", "sme", "small", "medium", "selfEmployed"})
PENNY = Decimal("0.01")
NOT_NAMED = "(supplier not named)"


def split_evenly(amount: Decimal, parts: int) -> list[Decimal]:
    """``amount`` in ``parts`` equal shares to the penny; the first shares take any remainder.

    >>> split_evenly(Decimal("100"), 3)
    [Decimal('33.34'), Decimal('33.33'), Decimal('33.33')]
    >>> sum(split_evenly(Decimal("0.05"), 2))
    Decimal('0.05')
    """
    if parts < 1:
        raise ValueError("at least one part")
    total = amount.quantize(PENNY)
    base = (total / parts).quantize(PENNY, rounding=ROUND_DOWN)
    left = int((total - base * parts) / PENNY)
    return [base + (PENNY if i < left else 0) for i in range(parts)]


def is_vcse(party: Mapping[str, Any]) -> bool:
    """Voluntary, community or social enterprise: flagged so, or on a charity register."""
    details = party.get("details") or {}
    if details.get("vcse") is True:
        return True
    ids = [party.get("identifier") or {}, *(party.get("additionalIdentifiers") or [])]
    return any(isinstance(i, Mapping) and i.get("scheme") in CHARITY_REGISTERS for i in ids)


def is_sme(party: Mapping[str, Any]) -> bool:
    """Small or medium: the partyDetails scale extension's codes for them."""
    return (party.get("details") or {}).get("scale") in SME_SCALES


@dataclass
class Tally:
    """What one group (everything, a buyer, a year) awarded."""

    awards: int = 0
    value: Decimal = Decimal(0)
    vcse_value: Decimal = Decimal(0)
    sme_value: Decimal = Decimal(0)
    by_supplier: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    other_currencies: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def as_dict(self) -> dict[str, Any]:
        r"""The group's figures; money as decimal strings, shares as proportions 0-1.

        Notes
        -----
        With supplier values :math:`v_i` summing to :math:`V`, the Herfindahl-Hirschman index is
        :math:`\sum_i (100\, v_i / V)^2` (0 to 10,000) and the top-5 share is the sum of the five
        largest :math:`v_i / V`. Both are null when nothing was awarded in GBP.
        """
        shares = (
            sorted((v / self.value for v in self.by_supplier.values()), reverse=True)
            if self.value
            else []
        )
        return {
            "awards": self.awards,
            "value": f"{self.value:.2f}",
            "vcse_value": f"{self.vcse_value:.2f}",
            "vcse_share": round(float(self.vcse_value / self.value), 4) if self.value else None,
            "sme_value": f"{self.sme_value:.2f}",
            "sme_share": round(float(self.sme_value / self.value), 4) if self.value else None,
            "hhi": round(float(sum((100 * s) ** 2 for s in shares)), 1) if shares else None,
            "top5_share": round(float(sum(shares[:5])), 4) if shares else None,
            "other_currencies": {c: f"{v:.2f}" for c, v in sorted(self.other_currencies.items())},
        }


def _amount(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        return None
    return amount if amount.is_finite() else None


def summarise(compiled: Iterable[Mapping[str, Any]], by: str = "buyer") -> dict[str, Any]:
    """Tally awarded value over compiled releases, in total and by ``buyer`` or ``year``.

    >>> release = {"ocid": "ocds-1", "buyer": {"id": "B"}, "parties": [
    ...     {"id": "S1", "details": {"vcse": True}}, {"id": "S2", "details": {"scale": "large"}}],
    ...     "awards": [{"id": "1", "status": "active", "date": "2025-05-01T00:00:00Z",
    ...                 "value": {"amount": 100, "currency": "GBP"},
    ...                 "suppliers": [{"id": "S1"}, {"id": "S2"}]}]}
    >>> out = summarise([release])
    >>> out["total"]["value"], out["total"]["vcse_value"], out["total"]["hhi"]
    ('100.00', '50.00', 5000.0)
    """
    if by not in ("buyer", "year"):
        raise ValueError("by is buyer or year")
    total = Tally()
    groups: dict[str, Tally] = defaultdict(Tally)
    names: dict[str, str] = {}
    for release in compiled:
        parties = {
            str(p.get("id")): p for p in release.get("parties") or [] if isinstance(p, Mapping)
        }
        buyer = release.get("buyer") or {}
        buyer_id = str(buyer.get("id") or buyer.get("name") or "(buyer not named)")
        names.setdefault(
            buyer_id, str(buyer.get("name") or parties.get(buyer_id, {}).get("name") or "")
        )
        for award in release.get("awards") or []:
            if not isinstance(award, Mapping) or award.get("status") != "active":
                continue
            value = award.get("value") or {}
            amount = _amount(value.get("amount"))
            if amount is None:
                continue
            key = (
                buyer_id
                if by == "buyer"
                else str(award.get("date") or release.get("date") or "")[:4] or "(no date)"
            )
            tallies = (total, groups[key])
            currency = value.get("currency") or "GBP"
            if currency != "GBP":
                for t in tallies:
                    t.other_currencies[currency] += amount
                continue
            suppliers = [s for s in award.get("suppliers") or [] if isinstance(s, Mapping)]
            ids = [str(s.get("id") or s.get("name") or NOT_NAMED) for s in suppliers] or [NOT_NAMED]
            for t in tallies:
                t.awards += 1
            for supplier, part in zip(ids, split_evenly(amount, len(ids)), strict=True):
                party = parties.get(supplier, {})
                for t in tallies:
                    t.value += part
                    t.by_supplier[supplier] += part
                    if is_vcse(party):
                        t.vcse_value += part
                    if is_sme(party):
                        t.sme_value += part
    label = "buyers" if by == "buyer" else "years"
    rows = []
    for key in sorted(groups):
        row: dict[str, Any] = (
            {"buyer": key, "name": names.get(key, "")} if by == "buyer" else {"year": key}
        )
        rows.append({**row, **groups[key].as_dict()})
    return {"total": total.as_dict(), label: rows}
