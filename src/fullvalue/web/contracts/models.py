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

    def __str__(self) -> str:
        return f"{self.organisation} in {self.contract}"
