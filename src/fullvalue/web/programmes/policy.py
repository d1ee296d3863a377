"""Who may see and change programmes (named predicates)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fullvalue.domain.roles import Role

if TYPE_CHECKING:
    from fullvalue.web.kernel.actor import Actor

READS_EVERYTHING = (Role.AUDITOR, Role.SYSTEM_ADMIN)
#: Roles in a commissioning organisation that see its draft programmes.
COMMISSIONING_SIDE = (Role.COMMISSIONER, Role.EVALUATOR)


def can_design_programme(actor: Actor) -> bool:
    """Only commissioners design programmes."""
    return actor.role in (Role.COMMISSIONER, Role.SYSTEM_ADMIN)


def can_manage_programme(actor: Actor, programme: Any) -> bool:
    """Only the programme's commissioner can change it."""
    return actor.is_system_admin or (
        actor.role == Role.COMMISSIONER and actor.belongs_to(programme.commissioner_id)
    )


def can_read_drafts_of(actor: Actor, commissioner_id: int | None) -> bool:
    """Draft programmes are seen by their own commissioning organisation, auditors and admins."""
    return actor.role in READS_EVERYTHING or (
        actor.role in COMMISSIONING_SIDE and actor.belongs_to(commissioner_id)
    )


def can_read_programme(actor: Actor, programme: Any) -> bool:
    """Published programmes are public; a draft is seen by its own commissioner's side."""
    return programme.status == "published" or can_read_drafts_of(actor, programme.commissioner_id)
