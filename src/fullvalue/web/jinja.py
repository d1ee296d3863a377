"""The Jinja2 environment: GOV.UK Frontend macros plus our helpers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, PackageLoader, PrefixLoader


def url(name: str, *args: Any, **kwargs: Any) -> str:
    """Reverse a URL by name."""
    return reverse(name, args=args or None, kwargs=kwargs or None)


def money(value: Decimal | int | None, pence: bool = False) -> str:
    """Format GBP the GOV.UK way: £1,234 (or £1,234.56 with ``pence``); minus as −£1,234."""
    if value is None:
        return "Not known"
    amount = Decimal(value)
    text = f"£{abs(amount):,.2f}" if pence else f"£{abs(amount):,.0f}"
    return f"\u2212{text}" if amount < 0 and text.strip("£0.,") else text


def trim_number(value: Decimal | int | float | None) -> str:
    """A number without needless trailing zeros: 85.00 as 85, 12.50 as 12.5, with commas."""
    if value is None:
        return ""
    amount = Decimal(str(value))
    text = f"{amount:,.2f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def uk_date(value: dt.date | dt.datetime | None, with_time: bool = False) -> str:
    """Format a date as '25 November 2026' (UK time for datetimes)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value)
        text = f"{local.day} {local:%B %Y}"
        return f"{text} at {local:%H:%M}" if with_time else text
    return f"{value.day} {value:%B %Y}"


def query(request: Any, **changes: Any) -> str:
    """The current query string with some parameters changed (for pagination and exports)."""
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(list(params.lists()), doseq=True)


def environment(**options: Any) -> Environment:
    """Build the environment Django's Jinja2 backend uses."""
    base_loader = options.pop("loader", None)
    options["undefined"] = ChainableUndefined
    options.setdefault("autoescape", True)
    options["loader"] = ChoiceLoader(
        [
            base_loader,
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    env = Environment(**options)
    env.globals.update(
        url=url,
        static=static,
        get_messages=messages.get_messages,
        query=query,
        settings=settings,
    )
    env.filters.update(
        money=money,
        uk_date=uk_date,
        trim_number=trim_number,
        extract=lambda key, mapping: mapping.get(key, key),
    )
    return env
