"""Report once: funders' frameworks, who reports to which, code mappings, records, returns."""

from __future__ import annotations

from django.db import models


class Framework(models.Model):
    """A funder's monitoring framework, kept as its TOML text (docs/framework.schema.json).

    ``owner`` is the commissioner or funder on the platform that publishes it; a framework of a
    funder off the platform has none, and its returns are exported in the funder's layout.
    """

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    funder_name = models.CharField(max_length=200)
    owner = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    spec_toml = models.TextField()
    is_published = models.BooleanField(
        default=False, help_text="offered to providers and other commissioners to adopt"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title


class Adoption(models.Model):
    """A provider reports to a framework."""

    provider = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="adoptions")
    adopted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "framework"], name="one_adoption")
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} reports to {self.framework_id}"


class CodeMapping(models.Model):
    """A provider's own outcome name mapped once to a code of the shared vocabulary."""

    provider = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    own_code = models.CharField(max_length=60)
    vocabulary_code = models.CharField(max_length=60)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "own_code"], name="one_mapping_per_code")
        ]

    def __str__(self) -> str:
        return f"{self.own_code} counts as {self.vocabulary_code}"


class OutcomeRecord(models.Model):
    """One thing recorded once about a participant's progress, in the shared vocabulary.

    Outcome events of the provider's contracts become records through its code mappings;
    these are the records that come from elsewhere (distance-travelled readings, outcomes no
    contract pays for).
    """

    provider = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    participant = models.ForeignKey(
        "delivery.Participant", on_delete=models.PROTECT, related_name="+"
    )
    recorded_on = models.DateField()
    code = models.CharField(max_length=60)
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["provider", "recorded_on"])]

    def __str__(self) -> str:
        return f"{self.code} on {self.recorded_on}"


class Submission(models.Model):
    """A return submitted for one framework and period: locked, its figures kept as sent."""

    provider = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="submissions")
    period_start = models.DateField()
    period_end = models.DateField()
    figures = models.JSONField(help_text="[{id, label, value}] as submitted")
    submitted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "framework", "period_start"], name="one_return_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"Return to {self.framework_id} for {self.period_start}"


class ExportLayout(models.Model):
    """A provider's saved layout of one funder's return: the funder's own column headings.

    ``columns`` is a list of ``{"source": ..., "heading": ...}`` in the funder's order; a source
    is ``organisation``, ``period_start``, ``period_end`` or ``indicator:<id>``.
    """

    provider = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="+")
    columns = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "framework"], name="one_layout")]

    def __str__(self) -> str:
        return f"Layout of {self.framework_id} for {self.provider_id}"


class RecordImport(models.Model):
    """A checked records file waiting for, or imported by, the task worker (with progress)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"

    provider = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    valid_rows_only = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename
