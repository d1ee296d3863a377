"""Grants made on Fullvalue, published in the 360Giving Data Standard (version 1.4).

Every contract entered as a grant becomes one 360Giving grant: identifier prefixed with the
publisher's 360Giving prefix (``settings.GIVING_PREFIX``), title and description, amount in GBP,
award date, planned dates, the funding and recipient organisations with their org-id identifiers
(and charity and company numbers when they have them), and the grant programme when the grant
came from a tender. Validated in the tests against the standard's own schemas
(``docs/standards/360giving``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from fullvalue.web.contracts.selectors import grants_listed

VERSION = "1.4"


def _number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _organisation(org: Any) -> dict[str, Any]:
    """A 360Giving Organization: its org-id, name, and registry numbers when known."""
    ids = [i.value for i in org.identifiers.all()]
    out: dict[str, Any] = {"id": ids[0] if ids else f"{settings.GIVING_PREFIX}-org-{org.id}"}
    out["name"] = org.name
    for value in ids:
        if value.startswith(("GB-CHC-", "GB-SC-", "GB-NIC-")):
            out.setdefault("charityNumber", value.split("-", 2)[2])
        elif value.startswith("GB-COH-"):
            out.setdefault("companyNumber", value.split("-", 2)[2])
    return out


def grant(contract: Any) -> dict[str, Any]:
    """One grant in the 360Giving shape."""
    award = getattr(contract, "award", None)
    awarded = (
        timezone.localtime(award.decided_at).date()
        if award is not None
        else contract.start_date or timezone.localtime(contract.created_at).date()
    )
    out: dict[str, Any] = {
        "id": f"{settings.GIVING_PREFIX}-{contract.id}",
        "title": contract.title,
        "description": (
            f"A grant from {contract.commissioner.name} to {contract.provider.name}: "
            f"{contract.title}."
        ),
        "currency": "GBP",
        "amountAwarded": _number(contract.value),
        "awardDate": awarded.isoformat(),
        "recipientOrganization": [_organisation(contract.provider)],
        "fundingOrganization": [_organisation(contract.commissioner)],
        "dataSource": f"{settings.SITE_URL.rstrip('/')}/contracts/{contract.id}/",
    }
    if contract.start_date and contract.end_date:
        out["plannedDates"] = [
            {
                "startDate": contract.start_date.isoformat(),
                "endDate": contract.end_date.isoformat(),
            }
        ]
    if award is not None:
        programme = award.lot.tender.programme
        out["grantProgramme"] = [{"code": programme.slug, "title": programme.title}]
    return out


def grants_package(now: dt.datetime | None = None) -> dict[str, Any]:
    """The 360Giving package of every grant made on Fullvalue."""
    now = now or timezone.now()
    return {
        "version": VERSION,
        "title": f"Grants made on {settings.SERVICE_NAME}",
        "description": "Grants made by commissioners on Fullvalue, from its own records.",
        "issued": timezone.localtime(now).date().isoformat(),
        "grants": [grant(c) for c in grants_listed()],
    }
