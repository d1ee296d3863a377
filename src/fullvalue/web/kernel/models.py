"""Feedback on the service, from anyone, read by system administrators."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Feedback(models.Model):
    """A report of a problem or a suggestion, with the page it was about."""

    created_at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    about_page = models.CharField(max_length=200, blank=True, help_text="path of the page")
    text = models.TextField(max_length=2000)
    email = models.EmailField(blank=True, help_text="to reply to, if the person wants a reply")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Feedback {self.id}"
