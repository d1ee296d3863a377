"""What the directory adds to the dashboard: the market at a glance, and your organisation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.http import HttpRequest
from markupsafe import Markup

from fullvalue.domain.organisations import SizeBand
from fullvalue.domain.roles import Role
from fullvalue.web.kernel.panels import render_panel
from fullvalue.web.organisations.rules import LED_BY_FIELDS
from fullvalue.web.organisations.selectors import can_edit, market_summary

if TYPE_CHECKING:
    from fullvalue.web.kernel.actor import Actor

#: Roles whose dashboard shows the market: they commission, evaluate, invest or administer.
SEES_MARKET = (Role.COMMISSIONER, Role.EVALUATOR, Role.INVESTOR, Role.SYSTEM_ADMIN)


def market(request: HttpRequest, actor: Actor) -> Markup:
    """Organisations by sector, voluntary ones by size, and those led by and for communities."""
    if actor.role not in SEES_MARKET:
        return Markup("")
    # The market view is aggregate public data: a minute's staleness is fine.
    summary = cache.get_or_set("market-summary", market_summary, 60)
    return render_panel(
        request,
        "organisations/panels/market.html",
        market=summary,
        market_total=sum(summary["by_sector"].values()) or 1,
        bands=list(SizeBand),
        band_max=max(summary["voluntary_by_band"].values()) or 1,
        led_by_labels=LED_BY_FIELDS,
    )


def own_organisation(request: HttpRequest, actor: Actor, organisation: Any) -> Markup:
    """The acting organisation, with what its administrators can do for it."""
    if organisation is None or actor.role in (
        Role.AUDITOR,
        Role.COMMUNITY_MEMBER,
        Role.SYSTEM_ADMIN,
    ):
        return Markup("")
    return render_panel(
        request,
        "organisations/panels/own.html",
        organisation=organisation,
        can_edit=can_edit(actor, organisation.id),
        is_commissioner=actor.role == Role.COMMISSIONER,
    )
