"""The Jinja2 environment: GOV.UK Frontend macros plus our helpers."""

from __future__ import annotations

import datetime as dt
import functools
import importlib
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from jinja2 import (
    ChainableUndefined,
    ChoiceLoader,
    Environment,
    PackageLoader,
    PrefixLoader,
    pass_environment,
)
from markupsafe import Markup

from fullvalue.domain.roles import Role

# Rendered page parts that are the same for every request in a process, keyed with the script
# prefix (the only per-request input ``reverse`` reads) and a bounded set of names.
_PARTS: dict[tuple[Any, ...], Markup] = {}
_SIGN_OUT_SLOT = "<!--fullvalue:sign-out-->"


@functools.lru_cache(maxsize=4096)
def _reverse(prefix: str, name: str, args: tuple, kwargs: tuple) -> str:
    return reverse(name, args=args or None, kwargs=dict(kwargs) or None)


def url(name: str, *args: Any, **kwargs: Any) -> str:
    """Reverse a URL by name, remembering the most recent few thousand.

    A page reverses a dozen names on every view; URLs with object ids come and go, so the
    memory is bounded (least recently used dropped first).
    """
    try:
        return _reverse(get_script_prefix(), name, args, tuple(sorted(kwargs.items())))
    except TypeError:  # an unhashable argument: reverse it every time
        return reverse(name, args=args or None, kwargs=kwargs or None)


@pass_environment
def part(env: Environment, name: str) -> Markup:
    """A page part with no per-request content (``jinja2/parts/NAME.html``), rendered once.

    The cookie banner, phase banner, header and footer go through the GOV.UK macros; drawing
    them on every view was about a third of a simple page's time.
    """
    key = (get_script_prefix(), name)
    found = _PARTS.get(key)
    if found is None:
        found = _PARTS[key] = Markup(env.get_template(f"parts/{name}.html").render())
    return found


def navigation_items(actor: Any, active: str | None) -> list[dict[str, Any]]:
    """The service navigation's links for this actor, ``active`` marking the current section."""
    signed_in = actor.is_authenticated
    links: list[tuple[str, str, str | None]] = []
    if signed_in:
        links.append((url("dashboard"), "Dashboard", "dashboard"))
    links += [
        (url("programme-list"), "Programmes", "programmes"),
        (url("tender-list"), "Tenders", "tenders"),
        (url("contract-list"), "Contracts", "contracts"),
        (url("organisation-list"), "Organisations", "organisations"),
    ]
    if actor.role in (Role.AUDITOR, Role.SYSTEM_ADMIN):
        links.append((url("audit-list"), "Audit trail", "audit"))
    if actor.role == Role.SYSTEM_ADMIN:
        links.append((url("task-list"), "Tasks", "tasks"))
    links.append(("/api/v1/docs", "API", None))
    if signed_in:
        links.append((url("account"), "Your account", "account"))
    else:
        links.append((url("sign-in"), "Sign in", "sign-in"))
    return [
        {"href": href, "text": text, "active": section is not None and section == active}
        for href, text, section in links
    ]


@pass_environment
def service_navigation(env: Environment, actor: Any, active: Any, sign_out: str) -> Markup:
    """The GOV.UK service navigation, drawn once per kind of actor and section.

    ``sign_out`` (the sign-out form, which carries this request's CSRF token) goes into the
    navigation's end slot after the cached drawing.
    """
    section = active if isinstance(active, str) else None
    key = (get_script_prefix(), actor.is_authenticated, str(actor.role or ""), section)
    found = _PARTS.get(key)
    if found is None:
        template = env.from_string(
            '{% from "govuk_frontend_jinja/components/service-navigation/macro.html" '
            "import govukServiceNavigation %}"
            '{{ govukServiceNavigation({"navigation": nav, "slots": {"navigationEnd": slot}}) }}'
        )
        html = template.render(nav=navigation_items(actor, section), slot=Markup(_SIGN_OUT_SLOT))
        found = _PARTS[key] = Markup(html)
    return Markup(found.replace(_SIGN_OUT_SLOT, sign_out))


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


#: Capabilities whose ``policy.py`` templates may ask (``policy.tendering.can_submit_bid(...)``).
POLICIES = (
    "programmes",
    "tendering",
    "contracts",
    "delivery",
    "payruns",
    "investments",
    "reporting",
    "budgets",
    "socialvalue",
    "challenges",
)


def policies() -> SimpleNamespace:
    """Every capability's named predicates, for templates: they never compare role strings."""
    return SimpleNamespace(
        **{name: importlib.import_module(f"fullvalue.web.{name}.policy") for name in POLICIES}
    )


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
        part=part,
        service_navigation=service_navigation,
        static=static,
        get_messages=messages.get_messages,
        query=query,
        settings=settings,
        policy=policies(),
    )
    env.filters.update(
        money=money,
        uk_date=uk_date,
        trim_number=trim_number,
        extract=lambda key, mapping: mapping.get(key, key),
    )
    return env
