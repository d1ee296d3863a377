"""Form state for pages: submitted values and errors keyed by field, from our own validation.

Pages do not use Django forms for business input: the services validate (so pages, the API and
imports give the same answers) and :class:`FormState` carries the result back to the template,
which renders the GOV.UK error summary linking to each field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fullvalue.errors import FullvalueError, Problem


@dataclass
class FormState:
    """Values to show in a form, and an error message per field."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_post(cls, data: Any, lists: Iterable[str] = ()) -> FormState:
        """Read a POST QueryDict: list fields with ``getlist``, others as stripped strings."""
        list_names = set(lists)
        values: dict[str, Any] = {}
        for key in data:
            if key == "csrfmiddlewaretoken":
                continue
            values[key] = data.getlist(key) if key in list_names else data.get(key, "").strip()
        for name in list_names:
            values.setdefault(name, [])
        return cls(values=values)

    def add_error(self, name: str, message: str) -> None:
        """Record the first error for a field."""
        self.errors.setdefault(name, message)

    def add_problems(self, problems: Iterable[Problem]) -> None:
        """Record problems from a :class:`FullvalueError` (``column`` names the field)."""
        for problem in problems:
            self.add_error(problem.column or "__all__", problem.reason)

    def absorb(self, error: FullvalueError) -> None:
        """Take every problem from an error, or its message when it has none."""
        if error.problems:
            self.add_problems(error.problems)
        else:
            self.add_error("__all__", error.message)

    @property
    def error_list(self) -> list[dict[str, str]]:
        """Items for the GOV.UK error summary, each linking to its field."""
        return [
            {"text": message, "href": f"#{name}"} if name != "__all__" else {"text": message}
            for name, message in self.errors.items()
        ]
