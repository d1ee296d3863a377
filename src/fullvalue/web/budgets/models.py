"""Community budgets: a business case, the partners pooling money behind it, what each puts in."""

from __future__ import annotations

from django.db import models


class CommunityBudget(models.Model):
    """Money pooled or aligned by several agencies behind one outcome-focused business case.

    ``case_toml`` is the business case as the engine reads it (docs/cba-case.schema.json),
    checked when it is saved; ``lead`` is the commissioner that holds the pool and records the
    partners' contributions.
    """

    name = models.CharField(max_length=200)
    cohort = models.TextField(help_text="who the budget is for, in plain words")
    lead = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    case_toml = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    """An agency pooling or aligning money in the budget.

    ``approver`` is the membership that agrees the partner's contributions; without one any
    commissioner of the partner organisation may.
    """

    budget = models.ForeignKey(CommunityBudget, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    approver = models.ForeignKey(
        "accounts.Membership", on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["budget", "organisation"], name="one_partner_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} in {self.budget_id}"


class Contribution(models.Model):
    """What one partner puts in for one year of the case: pooled or aligned, agreed or not yet.

    Recorded by a commissioner of the lead organisation; it counts in the ledger once the
    partner agrees (``agreed_by``/``agreed_at``).
    """

    class Kind(models.TextChoices):
        POOLED = "pooled", "Pooled"
        ALIGNED = "aligned", "Aligned"

    budget = models.ForeignKey(
        CommunityBudget, on_delete=models.CASCADE, related_name="contributions"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="contributions")
    year = models.PositiveSmallIntegerField(help_text="year of the business case, 1 for the first")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.POOLED)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    agreed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    agreed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "year", "kind"], name="one_contribution_per_partner_year_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} £{self.amount} in year {self.year}"


class Commitment(models.Model):
    """Money committed from the pool to a programme of the lead organisation (tagged to the pool).

    The programme is then commissioned by the platform's usual route (a tender, then a contract).
    """

    budget = models.ForeignKey(
        CommunityBudget, on_delete=models.CASCADE, related_name="commitments"
    )
    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    committed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    committed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["budget", "programme"], name="one_commitment_each")
        ]

    def __str__(self) -> str:
        return f"£{self.amount} to {self.programme_id}"
