"""Social investment: an investor funds a provider's working capital on an outcome contract."""

from __future__ import annotations

from django.db import models


class Investment(models.Model):
    """An investor's commitment to an outcome contract, repaid from its outcome payments.

    ``committed`` is GBP put in; ``share_of_outcome_payments`` (0-1) is the share of the
    contract's payments on results (outcome tariffs and reoffending results) that repays it.
    """

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="investments"
    )
    investor = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="investments"
    )
    committed = models.DecimalField(max_digits=14, decimal_places=2, help_text="GBP")
    share_of_outcome_payments = models.DecimalField(max_digits=7, decimal_places=4, help_text="0-1")
    committed_on = models.DateField()

    class Meta:
        ordering = ["-committed_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "investor"], name="one_investment_each")
        ]

    def __str__(self) -> str:
        return f"{self.investor} in {self.contract}"
