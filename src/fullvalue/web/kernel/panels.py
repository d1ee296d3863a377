"""Panels: what a capability adds to a page the site layer assembles (dashboard, contract page).

A capability's ``panels.py`` renders its own part of a shared page from its own template and
selectors, and returns it as markup; the site layer (:mod:`fullvalue.web.site`) only decides
which panels a page has and in what order. So a new capability adds a panel without editing
another capability's view or template.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from markupsafe import Markup

from fullvalue.web.kernel.caching import cached
from fullvalue.web.kernel.forms import FormState

#: An action a panel's form posts to a shared page: it does the work through a service and
#: returns the message shown after it (errors raise :class:`~fullvalue.errors.FullvalueError`).
Action = Callable[[Any, Any, FormState], str]
#: A table a panel offers as CSV or XLSX: (actor, subject, format) -> the download.
Table = Callable[[Any, Any, str], HttpResponse]


def render_panel(request: HttpRequest, template: str, **context: Any) -> Markup:
    """Render one panel's template with the request (for CSRF tokens and the actor)."""
    return Markup(render_to_string(template, context, request=request))


#: Where a cached panel's forms take the CSRF token of the request that shows them.
_TOKEN_SLOT = "fullvalue:csrf-token"
_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def cached_panel(request: HttpRequest, parts: Any, render: Callable[[], Markup]) -> Markup:
    """A panel rendered once for everything in ``parts``, then served from the cache.

    ``parts`` must hold everything the panel depends on: its name and subject, a version that
    changes with every write (``audit.selectors.write_version()``), the reader (their user and
    membership) and the day, if it shows anything relative to today. Forms in the panel get
    the CSRF token of each request that shows them, never the one it was rendered with.
    """
    # str(): substituting into Markup would escape the replacement (the input's own quotes)
    html = cached("panel", parts, lambda: _TOKEN.sub(rf"\g<1>{_TOKEN_SLOT}\g<2>", str(render())))
    return Markup(html.replace(_TOKEN_SLOT, get_token(request)))
