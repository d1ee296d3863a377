"""Field types shared by the API's request schemas: bounds checked at the edge, as 422s.

Each type names the rule a value breaks, so that a request with an impossible value answers
422 with the field named rather than reaching the database (a value of 1e30 does not fit a
money column; PostgreSQL refuses an integer past 2**31 - 1).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

MAX_INT = 2**31 - 1


def ordinary_digits(value: Any) -> Any:
    """Refuse a number written in other scripts' digits (full-width ``１００``), as pages do."""
    if isinstance(value, str) and not value.isascii():
        raise ValueError("write the number in ordinary digits (0-9)")
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(ordinary_digits),
    Field(
        gt=0,
        max_digits=14,
        decimal_places=2,
        description="GBP, above 0, at most 12 digits before the point and 2 after",
    ),
]
"""An amount in pounds that fits the money columns (``max_digits=14, decimal_places=2``)."""

Share = Annotated[
    Decimal,
    BeforeValidator(ordinary_digits),
    Field(max_digits=7, decimal_places=4, description="proportion 0-1"),
]
"""A share of a whole, 0 to 1 with four decimal places at most (the range is the service's rule)."""

Count = Annotated[int, Field(ge=0, le=MAX_INT)]
"""A whole number that fits an integer column."""

Id = Annotated[int, Field(ge=1, le=MAX_INT, description="an object's id")]
"""An object's id (a whole number above 0)."""
