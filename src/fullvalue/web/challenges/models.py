"""Right to Challenge: a relevant authority's windows and the expressions of interest it decides."""

from __future__ import annotations

from django.db import models


class Window(models.Model):
    """A period in which a relevant authority takes expressions of interest in running a service.

    The authority also publishes the least and the most time it will take between accepting an
    expression of interest and starting the procurement it triggers.
    """

    authority = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    service = models.CharField(max_length=200)
    description = models.TextField(max_length=4000)
    opens_on = models.DateField()
    closes_on = models.DateField()
    min_days_to_procure = models.PositiveIntegerField()
    max_days_to_procure = models.PositiveIntegerField()
    published_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.service


class ExpressionOfInterest(models.Model):
    """A relevant body's expression of interest in running a window's service; then its decision."""

    class BodyType(models.TextChoices):
        VOLUNTARY = "voluntary-community", "Voluntary or community body"
        CHARITY = "charity", "Charity"
        PARISH = "parish-council", "Parish council"
        EMPLOYEES = "employee-led", "Two or more of the authority's employees (employee-led mutual)"
        CONSORTIUM = "consortium", "Consortium of these"

    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        ACCEPTED = "accepted", "Accepted"
        MODIFIED = "modified", "Accepted with modifications"
        REJECTED = "rejected", "Rejected"

    window = models.ForeignKey(Window, on_delete=models.PROTECT, related_name="interests")
    body = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    body_type = models.CharField(max_length=24, choices=BodyType.choices)
    area = models.CharField(max_length=200)
    finances = models.TextField(max_length=4000)
    capability = models.TextField(max_length=4000)
    consortium = models.TextField(
        max_length=2000, blank=True, help_text="consortium members and sub-contractors"
    )
    outcomes = models.TextField(max_length=4000)
    social_value = models.TextField(max_length=4000)
    partners = models.TextField(max_length=2000, blank=True, help_text="mutuals only")
    governance = models.TextField(max_length=2000, blank=True, help_text="mutuals only")
    submitted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField()
    decision_timetable_sent_on = models.DateField(null=True, blank=True)
    decide_by = models.DateField(null=True, blank=True, help_text="as told to the body")
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    decided_on = models.DateField(null=True, blank=True)
    grounds = models.JSONField(default=list)
    reasons = models.TextField(max_length=4000, blank=True)
    modifications = models.TextField(max_length=4000, blank=True)
    procurement = models.ForeignKey(
        "tendering.Tender", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        indexes = [models.Index(fields=["received_on"])]

    def __str__(self) -> str:
        return f"{self.body_id} on {self.window_id}"
