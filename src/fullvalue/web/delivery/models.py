"""Participants and what happens to them, pseudonymised.

A participant is known everywhere by a keyed pseudonym (HMAC-SHA256 of the provider's case
reference with a secret key): it is stable, so re-imports match, but cannot be reversed without
the key. Identifying details live in :class:`ParticipantIdentity`, readable only by the
delivering provider's staff and the commissioner (never by other providers, investors or the
public). Equality data (sex, ethnicity, age band) are reported only in aggregate with small
numbers suppressed.
"""

from __future__ import annotations

from django.db import models


class Participant(models.Model):
    """A person on a contract, by pseudonym."""

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="participants"
    )
    provider = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="participants"
    )
    pseudonym = models.CharField(max_length=64)
    cohort = models.CharField(max_length=40, blank=True)
    sex = models.CharField(max_length=20, blank=True)
    ethnicity = models.CharField(max_length=80, blank=True)
    age_band = models.CharField(max_length=10, blank=True)
    referred_on = models.DateField()
    started_on = models.DateField(null=True, blank=True)
    left_on = models.DateField(null=True, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contract", "pseudonym"], name="participant_unique")
        ]
        indexes = [models.Index(fields=["contract", "provider"])]

    def __str__(self) -> str:
        return self.pseudonym[:12]


class ParticipantIdentity(models.Model):
    """Identifying details, kept apart and readable only by roles that need them."""

    participant = models.OneToOneField(
        Participant, on_delete=models.CASCADE, related_name="identity"
    )
    case_reference = models.CharField(max_length=60)
    full_name = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return "identity"


class OutcomeEvent(models.Model):
    """An outcome a participant achieved, with its evidence (a file or a data match)."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="events")
    outcome = models.CharField(max_length=60, help_text="the mechanism's measure name")
    occurred_on = models.DateField()
    evidence = models.CharField(max_length=200, blank=True)
    evidence_file = models.BinaryField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "outcome", "occurred_on"], name="event_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.outcome} on {self.occurred_on}"


class Claim(models.Model):
    """A provider's claim for an outcome event; validated by the commissioner."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        DISPUTED = "disputed", "Disputed"

    event = models.OneToOneField(OutcomeEvent, on_delete=models.PROTECT, related_name="claim")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    reason = models.TextField(blank=True)
    dispute = models.TextField(blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    sampled_at = models.DateTimeField(
        null=True, blank=True, help_text="when the claim was drawn in a random evidence check"
    )

    def __str__(self) -> str:
        return f"claim {self.id} ({self.status})"


class ImportJob(models.Model):
    """A participants / events file being imported by the background worker."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Previewed"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="import_jobs"
    )
    provider = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PREVIEWED)
    valid_rows_only = models.BooleanField(default=False)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class ReoffendingResult(models.Model):
    """A cohort's proven-reoffending result for one settlement period, feeding payment runs.

    Either measured here from a reoffending extract against a fixed comparison value, or
    uploaded as matched-comparison results (a Justice Data Lab report or ``fullvalue compare``).
    One current result per (period, cohort, measure); an upload replaces it, and the audit trail
    keeps what it was.
    """

    class Source(models.TextChoices):
        EXTRACT = "extract", "Measured from a reoffending extract"
        MATCHED = "matched", "Matched-comparison results"

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="reoffending_results"
    )
    period = models.CharField(max_length=60)
    cohort = models.CharField(max_length=60, blank=True)
    measure = models.CharField(max_length=60, help_text="the mechanism's result name")
    size = models.PositiveIntegerField(help_text="people with complete follow-up")
    treated = models.DecimalField(max_digits=12, decimal_places=6)
    comparison = models.DecimalField(max_digits=12, decimal_places=6)
    ci_low = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    ci_high = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    p_value = models.DecimalField(max_digits=12, decimal_places=8, null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    note = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period", "cohort", "measure"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period", "cohort", "measure"], name="reoffending_result_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.period} {self.cohort}"
