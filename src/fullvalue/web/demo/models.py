"""Marks a database that holds the demo world (demo-only conveniences check it)."""

from django.db import models


class DemoMarker(models.Model):
    """Present only in a database built by ``load_demo``."""

    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return "demo world"
