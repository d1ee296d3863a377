"""Who may do what in a tender: run it, evaluate it, bid for it (named predicates).

Reading a bid is decided in :func:`fullvalue.web.tendering.selectors.can_read_bid` (sealed
until the deadline), because it needs the panel's declarations from the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fullvalue.domain.roles import Role

if TYPE_CHECKING:
    from fullvalue.web.kernel.actor import Actor

PROVIDER_ROLES = (Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF)
READS_EVERYTHING = (Role.AUDITOR, Role.SYSTEM_ADMIN)


def can_manage_tender(actor: Actor, tender: Any) -> bool:
    """Only the tender's commissioner can do that."""
    return actor.is_system_admin or (
        actor.role == Role.COMMISSIONER and actor.belongs_to(tender.commissioner_id)
    )


def can_tender_programme(actor: Actor, programme: Any) -> bool:
    """Only the programme's commissioner can tender it."""
    return actor.is_system_admin or (
        actor.role == Role.COMMISSIONER and actor.belongs_to(programme.commissioner_id)
    )


def is_commissioner_side(actor: Actor, tender: Any) -> bool:
    """The tender's own commissioning organisation (commissioners and evaluators)."""
    return actor.belongs_to(tender.commissioner_id) and actor.role in (
        Role.COMMISSIONER,
        Role.EVALUATOR,
    )


def can_read_unpublished(actor: Actor, tender: Any) -> bool:
    """Drafts are seen by their own commissioning organisation, auditors and administrators."""
    return is_commissioner_side(actor, tender) or actor.role in READS_EVERYTHING


def can_take_part(actor: Actor) -> bool:
    """Only providers take part in tenders."""
    return actor.role in PROVIDER_ROLES


def can_submit_bid(actor: Actor) -> bool:
    """Only an administrator of your organisation can submit the bid. Save it as a draft and ask them to submit it."""  # noqa: E501
    return actor.role == Role.PROVIDER_ADMIN


def can_confirm_part(actor: Actor) -> bool:
    """An administrator of your organisation confirms its part."""
    return actor.role == Role.PROVIDER_ADMIN


def can_score(actor: Actor) -> bool:
    """Only evaluators on the panel do this."""
    return actor.role == Role.EVALUATOR


def can_see_moderation(actor: Actor, tender: Any) -> bool:
    """Moderation is for the tender's commissioner, auditors and administrators."""
    return (
        is_commissioner_side(actor, tender) and actor.role == Role.COMMISSIONER
    ) or actor.role in READS_EVERYTHING
