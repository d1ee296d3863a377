"""Who may do what with a contract: named predicates used by pages, API, templates and exports.

Each predicate takes the :class:`~fullvalue.web.kernel.actor.Actor` and the contract (and, where
it needs them, rows the caller already holds, so a page asks no extra query). The message a
refusal shows is the predicate's docstring's first line (:mod:`fullvalue.web.kernel.policy`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fullvalue.domain.roles import Role

if TYPE_CHECKING:
    from fullvalue.web.contracts.models import Contract
    from fullvalue.web.kernel.actor import Actor

PROVIDER_ROLES = (Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF)
READS_EVERYTHING = (Role.AUDITOR, Role.SYSTEM_ADMIN)


def is_contract_commissioner(actor: Actor, contract: Contract) -> bool:
    """Only the contract's commissioner can do that."""
    return actor.role == Role.COMMISSIONER and actor.belongs_to(contract.commissioner_id)


def can_enter_contract(actor: Actor) -> bool:
    """Only commissioners enter contracts."""
    return actor.role in (Role.COMMISSIONER, Role.SYSTEM_ADMIN)


def can_manage_contract(actor: Actor, contract: Contract) -> bool:
    """Only the contract's commissioner can change it.

    KPIs, milestones and variations: the commissioner, or a system administrator helping them.
    """
    return actor.is_system_admin or is_contract_commissioner(actor, contract)


def is_prime(actor: Actor, contract: Contract) -> bool:
    """Only the prime provider's people can do that."""
    return actor.role in PROVIDER_ROLES and actor.belongs_to(contract.provider_id)


def can_change_supply_chain(actor: Actor, contract: Contract) -> bool:
    """Only the prime or the commissioner can change the supply chain."""
    return (
        (actor.role == Role.PROVIDER_ADMIN and actor.belongs_to(contract.provider_id))
        or is_contract_commissioner(actor, contract)
        or actor.is_system_admin
    )


def can_record_kpi_value(actor: Actor, contract: Contract) -> bool:
    """The commissioner or the prime records KPI values."""
    return is_contract_commissioner(actor, contract) or is_prime(actor, contract)


def in_supply_chain(actor: Actor, members: Iterable[Any]) -> bool:
    """Whether the actor's organisation is one of these supply-chain members'."""
    return any(actor.belongs_to(m.organisation_id) for m in members)


def is_insider(actor: Actor, contract: Contract, members: Iterable[Any]) -> bool:
    """Delivery and payments are for the commissioner, the supply chain, auditors and admins."""
    return (
        in_supply_chain(actor, members)
        or actor.belongs_to(contract.commissioner_id)
        or actor.role in READS_EVERYTHING
    )
