"""Payment runs and what flows down from them.

A run is prepared by one person (the settlement is computed by the task worker, or at once
through the API), approved by another and immutable once approved; approval
creates what the prime owes each sub-contractor (flow-down), with due dates and receipts.
"""

from __future__ import annotations

from django.db import models


class PaymentRun(models.Model):
    """A period's payment to a contract's prime, from the engine's settlement."""

    class Status(models.TextChoices):
        PREPARING = "preparing", "Being prepared"
        PREPARED = "prepared", "Prepared"
        APPROVED = "approved", "Approved"

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="payment_runs"
    )
    period = models.CharField(max_length=40)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PREPARED)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    lines = models.JSONField(default=list)
    prepared_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-prepared_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period"],
                condition=models.Q(status="approved"),
                name="one_approved_run_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract} {self.period}"


class FlowDownPayment(models.Model):
    """What the prime owes a sub-contractor from an approved run, due within its terms."""

    run = models.ForeignKey(PaymentRun, on_delete=models.PROTECT, related_name="flow_down")
    member = models.ForeignKey(
        "contracts.SupplyChainMember", on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    due_on = models.DateField()
    paid_on = models.DateField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"£{self.amount} to {self.member}"
