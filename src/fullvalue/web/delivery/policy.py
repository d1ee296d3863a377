"""Who may do what with delivery data: participants, outcomes, claims, reoffending results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fullvalue.domain.roles import Role
from fullvalue.web.contracts.policy import PROVIDER_ROLES, is_contract_commissioner

if TYPE_CHECKING:
    from fullvalue.web.kernel.actor import Actor

READS_EVERYTHING = (Role.AUDITOR, Role.SYSTEM_ADMIN)


def can_record_delivery(actor: Actor) -> bool:
    """Providers in the supply chain record delivery."""
    return actor.role in PROVIDER_ROLES


def can_decide_claims(actor: Actor, contract: Any) -> bool:
    """Only the contract's commissioner validates claims."""
    return is_contract_commissioner(actor, contract)


def can_record_reoffending(actor: Actor, contract: Any) -> bool:
    """Only the contract's commissioner records reoffending results."""
    return is_contract_commissioner(actor, contract) and actor.user_id is not None


def reads_all_participants(actor: Actor, contract: Any) -> bool:
    """Participants are visible to the providers delivering to them.

    The commissioner, auditors and administrators see every participant of the contract.
    """
    return actor.role in READS_EVERYTHING or is_contract_commissioner(actor, contract)


def can_read_identity(actor: Actor, participant: Any, contract: Any) -> bool:
    """Identifying details: the delivering provider's staff and the commissioner only."""
    if actor.role in PROVIDER_ROLES:
        return actor.belongs_to(participant.provider_id)
    return is_contract_commissioner(actor, contract)


def identities_readable(actor: Actor, contract: Any) -> bool:
    """Whether the actor may read any identities on the contract (to show those columns)."""
    return actor.role in PROVIDER_ROLES or is_contract_commissioner(actor, contract)
