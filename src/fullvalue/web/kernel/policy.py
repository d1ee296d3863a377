"""The shape every capability's ``policy.py`` shares.

A policy is a set of named predicates, ``can_<verb>_<noun>(actor, obj) -> bool``, whose
docstring's first line is the sentence a refused person reads. Pages, the API, templates (every
predicate is a Jinja global through :func:`fullvalue.web.jinja.environment`) and exports call the
same predicate, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fullvalue.errors import PermissionDenied

Predicate = Callable[..., bool]


def refusal(predicate: Predicate) -> str:
    """The sentence shown when ``predicate`` says no: its docstring's first line.

    >>> def can_fly(actor):
    ...     '''Only birds can fly.'''
    >>> refusal(can_fly)
    'Only birds can fly.'
    """
    return (predicate.__doc__ or "You may not do that.").strip().splitlines()[0]


def require(predicate: Predicate, *args: Any) -> None:
    """Raise :class:`PermissionDenied` with the predicate's rule unless it allows ``args``."""
    if not predicate(*args):
        raise PermissionDenied(refusal(predicate))
