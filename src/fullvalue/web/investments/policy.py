"""Who may see and record investments in outcome contracts (named predicates)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fullvalue.domain.roles import Role

if TYPE_CHECKING:
    from fullvalue.web.kernel.actor import Actor


def can_see_investments(actor: Actor) -> bool:
    """Investments are shown to social investors (and to auditors and administrators)."""
    return actor.role in (Role.INVESTOR, Role.AUDITOR, Role.SYSTEM_ADMIN)


def can_record_investment(actor: Actor, contract: Any) -> bool:
    """Investments are recorded by the contract's commissioner."""
    return actor.is_system_admin or (
        actor.role == Role.COMMISSIONER and actor.belongs_to(contract.commissioner_id)
    )
