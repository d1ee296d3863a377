"""Unique, readable keys for URLs and codes: ``women-s-centre``, then ``women-s-centre-2``."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.text import slugify


def unique_slug(
    taken: QuerySet,
    text: str,
    *,
    field: str = "slug",
    fallback: str = "item",
    max_length: int = 200,
) -> str:
    """Slugify ``text`` and add ``-2``, ``-3`` ... until no row of ``taken`` has it in ``field``."""
    base = slugify(text)[:max_length] or fallback
    slug, n = base, 1
    while taken.filter(**{field: slug}).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug
