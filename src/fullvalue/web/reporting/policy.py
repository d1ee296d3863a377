"""Who may do what in report once (named predicates; the docstring is the refusal people read)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fullvalue.domain.roles import Role

if TYPE_CHECKING:
    from fullvalue.web.kernel.actor import Actor

PROVIDER_ROLES = (Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF)


def reports_for_organisation(actor: Actor) -> bool:
    """Returns are prepared by a provider's team: act for your organisation as its staff."""
    return actor.role in PROVIDER_ROLES and actor.organisation_id is not None


def can_submit_return(actor: Actor) -> bool:
    """Returns are submitted by an administrator of the provider; staff prepare and review them."""
    return actor.role == Role.PROVIDER_ADMIN and actor.organisation_id is not None


def receives_returns(actor: Actor) -> bool:
    """Returns arrive for commissioners and funders who publish a framework."""
    return actor.role == Role.COMMISSIONER and actor.organisation_id is not None


def can_publish_framework(actor: Actor) -> bool:
    """Frameworks are published by commissioners, funders and primes' administrators."""
    return (
        actor.role in (Role.COMMISSIONER, Role.PROVIDER_ADMIN) and actor.organisation_id is not None
    )


def can_see_report_once(actor: Actor) -> bool:
    """Report once is for providers, commissioners, auditors and administrators."""
    return (
        reports_for_organisation(actor)
        or receives_returns(actor)
        or actor.role in (Role.AUDITOR, Role.SYSTEM_ADMIN)
    )


def can_read_submission(actor: Actor, submission: Any) -> bool:
    """A return is read by the provider that sent it, the framework's owner, auditors and admins."""
    return (
        actor.role in (Role.AUDITOR, Role.SYSTEM_ADMIN)
        or (reports_for_organisation(actor) and actor.belongs_to(submission.provider_id))
        or (receives_returns(actor) and actor.belongs_to(submission.framework.owner_id))
    )
