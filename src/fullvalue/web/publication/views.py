"""The public market page: who wins the money in rehabilitation services, from published data."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest, HttpResponse

from fullvalue.web.kernel.exports import table_response
from fullvalue.web.kernel.pages import page
from fullvalue.web.publication.market import VCSE_LINE, platform_summary

HEADERS = [
    "Awards",
    "Value (GBP)",
    "Voluntary sector (GBP)",
    "Voluntary sector share",
    "Small and medium (GBP)",
    "Small and medium share",
    "Concentration (HHI)",
    "Top five suppliers' share",
]
KEYS = [
    "awards",
    "value",
    "vcse_value",
    "vcse_share",
    "sme_value",
    "sme_share",
    "hhi",
    "top5_share",
]


def _row(figures: dict) -> list:
    return [Decimal(figures[k]) if k.endswith("value") else figures[k] for k in KEYS]


def market(request: HttpRequest) -> HttpResponse:
    """Shares of awarded value by buyer and by year, with the 5% line, from published awards."""
    by_buyer = platform_summary("buyer")
    by_year = platform_summary("year")
    if fmt := request.GET.get("format"):
        if request.GET.get("table") == "years":
            rows = [[y["year"], *_row(y)] for y in by_year["years"]]
            return table_response(fmt, "market-by-year", ["Year", *HEADERS], rows)
        rows = [[b["name"] or b["buyer"], b["buyer"], *_row(b)] for b in by_buyer["buyers"]]
        rows.append(["All buyers", "", *_row(by_buyer["total"])])
        return table_response(fmt, "market-by-buyer", ["Buyer", "Buyer id", *HEADERS], rows)
    return page(
        request,
        "publication/market.html",
        "Who wins the money",
        total=by_buyer["total"],
        buyers=by_buyer["buyers"],
        years=by_year["years"],
        line=VCSE_LINE,
        nav_active="contracts",
    )
