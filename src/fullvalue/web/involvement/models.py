"""Comments from community members on programmes and tenders in their area."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Comment(models.Model):
    """A community member's comment on a programme or a tender (exactly one of the two)."""

    programme = models.ForeignKey(
        "programmes.Programme",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="comments",
    )
    tender = models.ForeignKey(
        "tendering.Tender", null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(programme__isnull=False, tender__isnull=True)
                | models.Q(programme__isnull=True, tender__isnull=False),
                name="comment_on_one_thing",
            )
        ]

    def __str__(self) -> str:
        return f"Comment {self.id}"
