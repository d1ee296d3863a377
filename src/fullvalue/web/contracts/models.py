"""Contracts: created from an award (or entered directly); issue 7 builds delivery on them."""

from __future__ import annotations

from django.db import models


class Contract(models.Model):
    """A contract or grant between a commissioner and a prime (or sole) provider."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting signature"
        ACTIVE = "active", "In delivery"
        ENDED = "ended", "Ended"

    award = models.OneToOneField(
        "tendering.Award",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contract",
    )
    commissioner = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="contracts_let"
    )
    provider = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="contracts_held"
    )
    title = models.CharField(max_length=200)
    value = models.DecimalField(max_digits=14, decimal_places=2, help_text="GBP")
    mechanism_toml = models.TextField(blank=True)
    kind = models.CharField(
        max_length=10, choices=[("contract", "Contract"), ("grant", "Grant")], default="contract"
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(
        default=30, help_text="days the commissioner takes to pay the prime"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.title


class SupplyChainMember(models.Model):
    """An organisation in a contract's supply chain, with its share of value and work."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="supply_chain")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=16)
    share_of_value = models.DecimalField(max_digits=7, decimal_places=4, help_text="0-1")
    share_of_work = models.DecimalField(max_digits=7, decimal_places=4, help_text="0-1")
    carries_working_capital = models.BooleanField(default=False)
    payment_terms_days = models.PositiveSmallIntegerField(
        default=30, help_text="days the prime takes to pay this member (30 or fewer)"
    )
    upfront_share = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=0,
        help_text="share (0-1) of this member's expected value paid up front",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contract", "organisation"], name="chain_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.contract}"


class Variation(models.Model):
    """A change to a contract, kept with who, when, why and before/after."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="variations")
    made_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    reason = models.TextField()
    changes = models.JSONField(default=dict)
    made_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["made_at", "id"]

    def __str__(self) -> str:
        return self.reason[:60]


class Kpi(models.Model):
    """A key performance indicator with its target (contracts over £5m must have some)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=40)
    target = models.DecimalField(max_digits=14, decimal_places=2)
    higher_is_better = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class Milestone(models.Model):
    """A contract milestone with its due date."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due_date = models.DateField()
    met_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.title


class KpiObservation(models.Model):
    """A KPI's actual value for a period (published as an OCDS metrics observation)."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="observations")
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.DecimalField(max_digits=14, decimal_places=2)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period_end", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "period_start", "period_end"], name="kpi_observation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.period_end}: {self.value}"

    @property
    def on_target(self) -> bool:
        """Whether the value meets the KPI's target."""
        if self.kpi.higher_is_better:
            return self.value >= self.kpi.target
        return self.value <= self.kpi.target
