"""Business rules a user can break: one shape for all of them, in every layer.

A rule is one small function named after the rule and decorated with :func:`rule`. The first
paragraph of its docstring is the rule as the user reads it. The function yields one
:class:`Breach` for each place the rule is broken (what is wrong there, and where), and nothing
when the rule is kept. Calling the decorated rule returns a list of
:class:`~fullvalue.errors.Problem`, each reading ``"<rule text> Here <detail>."``, so the message
a user sees always states the rule first. :func:`check` runs several rules and returns every
problem together, so the user can put everything right at once (the pattern of tamato's
``common/business_rules.py``).

Examples
--------
>>> from decimal import Decimal
>>> @rule
... def shares_within_the_whole(shares):
...     '''Shares of a whole cannot add up to more than 100%.'''
...     total = sum(shares, Decimal(0))
...     if total > 1:
...         yield Breach(f"they add up to {total:.0%}", column="share")
>>> shares_within_the_whole([Decimal("0.5"), Decimal("0.25")])
[]
>>> [p.reason for p in shares_within_the_whole([Decimal("0.75"), Decimal("0.5")])]
['Shares of a whole cannot add up to more than 100%. Here they add up to 125%.']
>>> shares_within_the_whole.text
'Shares of a whole cannot add up to more than 100%.'
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, ParamSpec

from fullvalue.errors import Problem

P = ParamSpec("P")


@dataclass(frozen=True)
class Breach:
    """One place a rule is broken.

    ``detail`` says what is wrong here ("the shares add up to 120%"), in words that follow
    "Here"; empty when the rule text says it all. ``location`` is a path in the input
    (``components[2].price``, ``members[0]``) and ``column`` the form field or file column,
    as on :class:`~fullvalue.errors.Problem`.
    """

    detail: str = ""
    location: str = ""
    column: str | None = None


def rule_text(func: Callable[..., object]) -> str:
    """Return the user-facing text of a rule: the first paragraph of its docstring, on one line.

    Examples
    --------
    >>> def on_time():
    ...     '''A claim is made within
    ...     six weeks of the outcome.
    ...
    ...     Why: the payment run closes then.'''
    >>> rule_text(on_time)
    'A claim is made within six weeks of the outcome.'
    """
    doc = inspect.getdoc(func) or func.__name__
    return " ".join(doc.split("\n\n")[0].split())


class Rule(Generic[P]):
    """A business rule: its name, its text (the docstring), and the problems it finds."""

    def __init__(self, func: Callable[P, Iterable[Breach]]) -> None:
        self.func = func
        self.name = func.__name__
        self.text = rule_text(func)
        functools.update_wrapper(self, func)

    def reason(self, detail: str = "") -> str:
        """The message for one breach: the rule text, then the detail (if any)."""
        return f"{self.text} Here {detail}." if detail else self.text

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> list[Problem]:
        return [
            Problem(reason=self.reason(b.detail), location=b.location, column=b.column)
            for b in self.func(*args, **kwargs)
        ]

    def __repr__(self) -> str:
        return f"<rule {self.name}: {self.text!r}>"


def rule(func: Callable[P, Iterable[Breach]]) -> Rule[P]:
    """Make a function that yields :class:`Breach` items into a named :class:`Rule`."""
    return Rule(func)


def check(*found: Iterable[Problem]) -> list[Problem]:
    """Every problem found by several rules, in order, as one list (empty when all are kept).

    Examples
    --------
    >>> [p.reason for p in check([], [Problem("a")], [Problem("b"), Problem("c")])]
    ['a', 'b', 'c']
    """
    return [problem for problems in found for problem in problems]
