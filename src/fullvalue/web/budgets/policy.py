"""Who may do what with community budgets (named predicates; the docstring is the refusal read)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fullvalue.domain.roles import Role

if TYPE_CHECKING:
    from fullvalue.web.kernel.actor import Actor


def commissions_for_organisation(actor: Actor) -> bool:
    """Community budgets are kept by commissioners: act as a commissioner of your organisation."""
    return actor.role == Role.COMMISSIONER and actor.organisation_id is not None


def can_see_budgets(actor: Actor) -> bool:
    """Community budgets are for commissioners of the partners, auditors and administrators."""
    return commissions_for_organisation(actor) or actor.role in (Role.AUDITOR, Role.SYSTEM_ADMIN)


def can_create_budget(actor: Actor) -> bool:
    """A community budget is set up by a commissioner, whose organisation leads it."""
    return commissions_for_organisation(actor)


def can_read_budget(actor: Actor, budget: Any, partner_ids: set[int]) -> bool:
    """A community budget is read by its partners' commissioners, auditors and administrators."""
    return actor.role in (Role.AUDITOR, Role.SYSTEM_ADMIN) or (
        commissions_for_organisation(actor) and actor.organisation_id in partner_ids
    )


def can_manage_budget(actor: Actor, budget: Any) -> bool:
    """Only a commissioner of the lead organisation records contributions and replaces the case."""
    return commissions_for_organisation(actor) and actor.belongs_to(budget.lead_id)


def can_agree_contribution(actor: Actor, contribution: Any) -> bool:
    """A contribution is agreed by the contributing partner: its approver, or its commissioner."""
    partner = contribution.partner
    if partner.approver_id is not None:
        return commissions_for_organisation(actor) and actor.membership_id == partner.approver_id
    return commissions_for_organisation(actor) and actor.belongs_to(partner.organisation_id)
