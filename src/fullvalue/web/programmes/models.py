"""Programmes: what a commissioner pays for, for whom, where, and how."""

from __future__ import annotations

from django.db import models


class OutcomeDefinition(models.Model):
    """An outcome a programme can pay for: from the catalogue, or custom with a written rule."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    definition = models.TextField()
    evidence_rule = models.TextField()
    pathway = models.CharField(max_length=80, blank=True)
    is_catalogue = models.BooleanField(default=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="custom_outcomes",
    )

    class Meta:
        ordering = ["-is_catalogue", "name"]

    def __str__(self) -> str:
        return self.name


class Programme(models.Model):
    """An outcome-based programme designed by a commissioner."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    commissioner = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="programmes"
    )
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    summary = models.TextField()
    cohort = models.TextField(help_text="Who the programme is for")
    volume_low = models.PositiveIntegerField(help_text="people per year, pessimistic")
    volume_expected = models.PositiveIntegerField(help_text="people per year, central")
    volume_high = models.PositiveIntegerField(help_text="people per year, optimistic")
    areas = models.ManyToManyField("organisations.Area", blank=True, related_name="programmes")
    delivery_setting = models.CharField(
        max_length=10,
        choices=[("urban", "Urban"), ("rural", "Rural"), ("mixed", "Mixed")],
        default="mixed",
    )
    budget = models.DecimalField(max_digits=14, decimal_places=2, help_text="GBP in total")
    years = models.PositiveSmallIntegerField(default=3)
    current_provision = models.TextField(blank=True)
    what_must_change = models.TextField(blank=True)
    outcomes = models.ManyToManyField(OutcomeDefinition, related_name="programmes")
    mechanism_toml = models.TextField(help_text="payment mechanism specification (TOML)")
    mechanism_design = models.JSONField(
        null=True, blank=True, help_text="the designer's form values (null: an uploaded TOML)"
    )
    starts_on = models.DateField(null=True, blank=True, help_text="first day of the first year")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.title


class ProgrammeDraft(models.Model):
    """A programme saved before it is complete: the form as the commissioner left it.

    A long form is saved at any point (a title is enough) and resumed later; it becomes a
    :class:`Programme` when everything required is filled in (saved complete, or published).
    ``programme`` is set when the draft holds unfinished changes to an existing draft programme.
    """

    commissioner = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="programme_drafts"
    )
    programme = models.OneToOneField(
        Programme,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="unfinished_draft",
    )
    title = models.CharField(max_length=200)
    form = models.JSONField(default=dict, help_text="the form's values as they were left")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "id"]

    def __str__(self) -> str:
        return self.title


class EngagementNotice(models.Model):
    """A pre-market engagement notice: the commissioner talks to the market before tendering."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="notices")
    title = models.CharField(max_length=200)
    body = models.TextField()
    event_date = models.DateField(null=True, blank=True)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["-published_at", "id"]

    def __str__(self) -> str:
        return self.title
