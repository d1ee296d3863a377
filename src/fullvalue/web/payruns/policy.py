"""Who may do what with payment runs and flow-down payments (named predicates).

Paying money is the commissioner's act, by people: system administrators do not prepare or
approve runs (least privilege), and a run is approved by someone other than its preparer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fullvalue.domain.roles import Role
from fullvalue.web.contracts.policy import is_contract_commissioner

if TYPE_CHECKING:
    from fullvalue.web.kernel.actor import Actor

READS_EVERYTHING = (Role.AUDITOR, Role.SYSTEM_ADMIN)


def can_run_payments(actor: Actor, contract: Any) -> bool:
    """Only the contract's commissioner runs payments."""
    return is_contract_commissioner(actor, contract) and actor.user_id is not None


def can_approve_payment_run(actor: Actor, run: Any) -> bool:
    """Two-person rule: a run is approved by another of the contract's commissioners.

    The person who prepared a run may not approve it; only a prepared run can be approved.
    """
    return (
        run.status == "prepared"
        and can_run_payments(actor, run.contract)
        and run.prepared_by_id != actor.user_id
    )


def approval_refusal(actor: Actor, run: Any) -> str:
    """Why this person cannot approve the run, in plain words (empty when they can)."""
    if can_approve_payment_run(actor, run):
        return ""
    if run.status != "prepared":
        return "Only a prepared run can be approved."
    if not can_run_payments(actor, run.contract):
        return "Only the contract's commissioner approves payment runs."
    return "Two-person rule: you prepared this run, so another commissioner must approve it."


def can_read_payment_runs(actor: Actor, contract: Any) -> bool:
    """Payment runs are for the commissioner and the prime."""
    return (
        actor.belongs_to(contract.commissioner_id)
        or actor.belongs_to(contract.provider_id)
        or actor.role in READS_EVERYTHING
    )


def can_confirm_receipt(actor: Actor, payment: Any) -> bool:
    """Only the receiving organisation confirms receipt."""
    return actor.role == Role.PROVIDER_ADMIN and actor.belongs_to(payment.member.organisation_id)


def sees_every_cash_position(actor: Actor, contract: Any) -> bool:
    """A provider's cash position is seen by the provider itself.

    The contract's commissioner, auditors and administrators see every member's.
    """
    return actor.role in READS_EVERYTHING or is_contract_commissioner(actor, contract)
