"""Social value: a contract's commitments and the deliveries reported against them."""

from __future__ import annotations

from django.db import models


class Commitment(models.Model):
    """A contract's social value obligation: a quantity of a measure in a period, with its proxy.

    Valued as quantity × proxy value × (1 − deadweight) × attribution
    (:mod:`fullvalue.domain.socialvalue`); ``source`` says where the proxy value comes from.
    """

    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="+")
    measure = models.CharField(max_length=200)
    unit = models.CharField(max_length=50, blank=True)
    period = models.CharField(max_length=40, help_text="the year or period, e.g. 2025/26")
    quantity = models.DecimalField(max_digits=14, decimal_places=2)
    proxy_value = models.DecimalField(max_digits=14, decimal_places=2)
    deadweight = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    attribution = models.DecimalField(max_digits=5, decimal_places=4, default=1)
    source = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["contract", "period"])]

    def __str__(self) -> str:
        return f"{self.quantity} {self.measure} in {self.period}"


class Delivery(models.Model):
    """A quantity delivered against a commitment in a period, with evidence, and its verification.

    Only a verified delivery is valued in a total.
    """

    class Status(models.TextChoices):
        REPORTED = "reported", "Waiting for verification"
        VERIFIED = "verified", "Verified"
        QUERIED = "queried", "Queried"
        REJECTED = "rejected", "Rejected"

    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="deliveries")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField(max_length=40)
    quantity = models.DecimalField(max_digits=14, decimal_places=2)
    evidence = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REPORTED)
    reason = models.TextField(blank=True, help_text="why it was queried or rejected")
    reported_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["commitment", "period"])]

    def __str__(self) -> str:
        return f"{self.quantity} delivered in {self.period}"
