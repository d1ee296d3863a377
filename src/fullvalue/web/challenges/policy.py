"""Who may do what in the Right to Challenge (named predicates; the docstring is the refusal)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fullvalue.domain.roles import Role

if TYPE_CHECKING:
    from fullvalue.web.kernel.actor import Actor


def can_publish_window(actor: Actor) -> bool:
    """Windows for expressions of interest are published by a relevant authority's commissioners."""
    return actor.role == Role.COMMISSIONER and actor.organisation_id is not None


def can_express_interest(actor: Actor) -> bool:
    """Expressions of interest are submitted by an administrator acting for the relevant body."""
    return actor.role == Role.PROVIDER_ADMIN and actor.organisation_id is not None


def decides_for_authority(actor: Actor, interest: Any) -> bool:
    """Only a commissioner of the authority that published the window decides on it."""
    return actor.role == Role.COMMISSIONER and actor.belongs_to(interest.window.authority_id)


def can_read_challenges(actor: Actor) -> bool:
    """The register of challenges is public."""
    return True
