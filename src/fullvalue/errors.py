"""The one application error type, shared by the engine, the services, the API and the CLI.

Every error carries a stable machine-readable ``code`` and a list of :class:`Problem` items, each
naming *where* (a file, row, column or a path in a specification) and *why*. The JSON API turns a
:class:`FullvalueError` into an RFC 9457 problem-details body; pages turn it into a GOV.UK error
summary; the CLI prints the problems and exits with status 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    ``location`` says where ("people.csv row 14, column index_date" or "payment.fee.amount");
    ``reason`` says what is wrong in words a user understands. ``row`` and ``column`` are given
    separately for tabular input so callers can group or link to them.
    """

    reason: str
    location: str = ""
    row: int | None = None
    column: str | None = None
    source: str | None = None

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}" if self.location else self.reason

    def as_dict(self) -> dict[str, Any]:
        """Return the problem as a JSON-serialisable mapping without empty fields."""
        data = {
            "location": self.location,
            "reason": self.reason,
            "row": self.row,
            "column": self.column,
            "source": self.source,
        }
        return {k: v for k, v in data.items() if v not in (None, "")}


@dataclass
class FullvalueError(Exception):
    """An error a user can act on.

    ``code`` is stable and machine-readable (``invalid-input``, ``permission-denied``,
    ``not-found``, ``conflict``, ``insufficient-data`` ...). ``problems`` lists every violation
    found, collected before raising so the user can fix them all at once.
    """

    message: str
    code: str = "invalid-input"
    problems: list[Problem] = field(default_factory=list)
    status: int = 422

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        lines = [self.message, *(f"  - {p}" for p in self.problems)]
        return "\n".join(lines)

    @classmethod
    def from_problems(
        cls, message: str, problems: Iterable[Problem], code: str = "invalid-input"
    ) -> FullvalueError:
        """Build an error from collected problems."""
        return cls(message=message, code=code, problems=list(problems))


class InsufficientDataError(FullvalueError):
    """The data cannot support the analysis asked for (e.g. fewer than 60 matched participants)."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(
            message=message, code="insufficient-data", problems=list(problems), status=422
        )


class PermissionDenied(FullvalueError):
    """The actor may not do this (wrong role, wrong organisation, or a sealed bid)."""

    def __init__(self, message: str = "You do not have permission to do that.") -> None:
        super().__init__(message=message, code="permission-denied", status=403)


class NotFound(FullvalueError):
    """The object does not exist or is not visible to the actor."""

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message=message, code="not-found", status=404)


class Conflict(FullvalueError):
    """The request conflicts with the current state (e.g. a duplicate, or already approved)."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message=message, code="conflict", problems=list(problems), status=409)
