"""Who may do what with social value (named predicates; the docstring is the refusal shown)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fullvalue.domain.roles import Role

if TYPE_CHECKING:
    from fullvalue.web.contracts.models import Contract
    from fullvalue.web.kernel.actor import Actor

PROVIDER_ROLES = (Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF)


def can_add_commitment(actor: Actor, contract: Contract) -> bool:
    """Only the contract's commissioner adds social value commitments."""
    return actor.role == Role.COMMISSIONER and actor.belongs_to(contract.commissioner_id)


def can_verify(actor: Actor, contract: Contract) -> bool:
    """Only the contract's commissioner verifies social value reported."""
    return actor.role == Role.COMMISSIONER and actor.belongs_to(contract.commissioner_id)


def can_report(actor: Actor, contract: Contract, members: Iterable[Any]) -> bool:
    """Social value delivered is reported by the prime or a member of its supply chain."""
    if actor.role not in PROVIDER_ROLES:
        return False
    return actor.belongs_to(contract.provider_id) or any(
        actor.belongs_to(m.organisation_id) for m in members
    )
