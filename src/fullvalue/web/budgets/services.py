"""Writes of community budgets: the budget and its case, contributions recorded and agreed.

Every write is checked here, recorded in the audit trail, and done in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fullvalue.engine.cba import parse_case
from fullvalue.errors import Conflict, FullvalueError, NotFound, Problem
from fullvalue.web.audit.services import audit_record
from fullvalue.web.budgets import policy, selectors
from fullvalue.web.budgets.models import Commitment, CommunityBudget, Contribution, Partner
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.policy import require
from fullvalue.web.organisations.selectors import existing_organisation_ids
from fullvalue.web.programmes.selectors import programme_by_id

#: The most a business case's TOML may hold (characters).
MAX_CASE = 100_000


def _case_text(case_toml: Any, field: str = "case_toml") -> str:
    """The case's text once the engine reads it; else one problem listing each path and reason."""
    text = fields.text(case_toml, field, max_length=MAX_CASE, multiline=True, required=True)
    try:
        parse_case(text, source="the file")
    except FullvalueError as exc:
        found = "; ".join(str(p) for p in exc.problems) or exc.message
        raise fields.FieldInvalid(field, f"The business case is not valid: {found}") from exc
    return text


@transaction.atomic
def budget_create(
    *,
    actor: Actor,
    name: Any,
    cohort: Any,
    case_toml: Any,
    partner_ids: Iterable[int] = (),
) -> CommunityBudget:
    """Set up a community budget led by the actor's organisation, with its business case.

    The lead is always a partner; the others are organisations on Fullvalue.
    """
    actor.require_can_write()
    require(policy.can_create_budget, actor)
    read = fields.Fields()
    title = read(fields.name, name, "name")
    who = read(fields.text, cohort, "cohort", max_length=fields.MAX_SHORT_TEXT, required=True)
    text = read(_case_text, case_toml, "case_toml")
    lead = actor.organisation_id or 0
    others = {int(i) for i in partner_ids} - {lead}
    if others - existing_organisation_ids(sorted(others)):
        read.problems.append(Problem("Choose partners from the list", column="partners"))
    read.check("The community budget needs correcting.")
    assert title is not None and who is not None and text is not None  # checked above
    budget = CommunityBudget.objects.create(name=title, cohort=who, lead_id=lead, case_toml=text)
    Partner.objects.bulk_create(
        [Partner(budget=budget, organisation_id=org) for org in [lead, *sorted(others)]]
    )
    audit_record(
        actor=actor,
        action="budget.create",
        object_type="community_budget",
        object_id=budget.id,
        object_repr=budget.name,
        after={"partners": [lead, *sorted(others)], "case": parse_case(text).name},
        organisation_id=lead,
    )
    return budget


@transaction.atomic
def case_replace(*, actor: Actor, budget_id: int, case_toml: Any) -> CommunityBudget:
    """Replace the budget's business case with a new version (checked by the engine)."""
    actor.require_can_write()
    budget = selectors.budget_get(actor, budget_id)
    require(policy.can_manage_budget, actor, budget)
    text = _case_text(case_toml)
    before = selectors.analysis_of(budget).result.headline()
    budget.case_toml = text
    budget.save(update_fields=["case_toml"])
    audit_record(
        actor=actor,
        action="budget.case_replace",
        object_type="community_budget",
        object_id=budget.id,
        object_repr=budget.name,
        before=before,
        after=selectors.analysis_of(budget).result.headline(),
        organisation_id=budget.lead_id,
    )
    return budget


@transaction.atomic
def contribution_record(*, actor: Actor, budget_id: int, data: dict[str, Any]) -> Contribution:
    """Record what a partner puts in for one year of the case; it counts once the partner agrees.

    ``data``: ``partner`` (the partner organisation's id), ``year`` (1 to the case's years),
    ``amount`` (pounds, at most two decimal places, above 0), ``kind`` (``pooled`` or ``aligned``).
    """
    actor.require_can_write()
    budget = selectors.budget_get(actor, budget_id)
    require(policy.can_manage_budget, actor, budget)
    years = selectors.case_of(budget).years
    read = fields.Fields()
    org = fields.whole_or(str(data.get("partner", "")), 0)
    partner = budget.partners.filter(organisation_id=org).first()
    if partner is None:
        read.problems.append(Problem("Choose one of the budget's partners", column="partner"))
    year = read(fields.integer, data.get("year", ""), "year", minimum=1, maximum=years)
    amount = read(fields.money, data.get("amount", ""), "amount", above_minimum=True)
    kind = str(data.get("kind", "")).strip()
    if kind not in Contribution.Kind.values:
        read.problems.append(Problem("Choose pooled or aligned", column="kind"))
    read.check("The contribution needs correcting.")
    assert partner is not None and year is not None and amount is not None  # checked above
    try:
        with transaction.atomic():
            contribution = Contribution.objects.create(
                budget=budget,
                partner=partner,
                year=year,
                amount=amount,
                kind=kind,
                recorded_by_id=actor.user_id or 0,
                recorded_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise Conflict(
            f"A {kind} contribution from this partner for year {year} is already recorded."
        ) from exc
    audit_record(
        actor=actor,
        action="contribution.record",
        object_type="contribution",
        object_id=contribution.id,
        object_repr=f"{budget.name}: year {year}",
        after={"partner": org, "year": year, "amount": amount, "kind": kind},
        organisation_id=budget.lead_id,
    )
    return contribution


@transaction.atomic
def contribution_agree(*, actor: Actor, contribution_id: int) -> Contribution:
    """The contributing partner agrees its contribution: from now on it counts in the ledger."""
    actor.require_can_write()
    contribution = selectors.contribution_get(contribution_id)
    selectors.budget_get(actor, contribution.budget_id)
    require(policy.can_agree_contribution, actor, contribution)
    locked = Contribution.objects.select_for_update().filter(id=contribution.id).first()
    if locked is None:
        raise NotFound("No such contribution.")
    if locked.agreed_at is not None:
        raise Conflict(f"This contribution was agreed on {locked.agreed_at:%-d %B %Y}.")
    contribution.agreed_by_id = actor.user_id
    contribution.agreed_at = timezone.now()
    contribution.save(update_fields=["agreed_by", "agreed_at"])
    audit_record(
        actor=actor,
        action="contribution.agree",
        object_type="contribution",
        object_id=contribution.id,
        object_repr=f"{contribution.budget.name}: year {contribution.year}",
        after={"amount": contribution.amount, "kind": contribution.kind},
        organisation_id=contribution.partner.organisation_id,
    )
    return contribution


@transaction.atomic
def commitment_add(*, actor: Actor, budget_id: int, programme_id: Any, amount: Any) -> Commitment:
    """Commit money from the pool to one of the lead organisation's programmes.

    The programme is tagged to the pool and commissioned by the usual route (a tender, then a
    contract). Only agreed pooled money can be committed: the amount is at most the balance.
    """
    actor.require_can_write()
    budget = selectors.budget_get(actor, budget_id)
    require(policy.can_manage_budget, actor, budget)
    CommunityBudget.objects.select_for_update().filter(id=budget.id).first()  # one at a time
    read = fields.Fields()
    programme = programme_by_id(fields.whole_or(str(programme_id or ""), 0))
    if programme is None or programme.commissioner_id != budget.lead_id:
        read.problems.append(
            Problem("Choose one of your organisation's programmes", column="programme")
        )
    value = read(fields.money, amount, "amount", above_minimum=True)
    balance = selectors.ledger_of(budget).balance
    if value is not None and value > balance:
        read.problems.append(
            Problem(
                f"The pool holds £{balance:,.2f} of agreed pooled money: commit at most that",
                column="amount",
            )
        )
    read.check("The commitment needs correcting.")
    assert programme is not None and value is not None  # checked above
    try:
        with transaction.atomic():
            commitment = Commitment.objects.create(
                budget=budget,
                programme=programme,
                amount=value,
                committed_by_id=actor.user_id or 0,
                committed_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise Conflict("Money from this pool is already committed to that programme.") from exc
    audit_record(
        actor=actor,
        action="budget.commit",
        object_type="community_budget",
        object_id=budget.id,
        object_repr=budget.name,
        after={"programme": programme.slug, "amount": value, "balance_before": balance},
        organisation_id=budget.lead_id,
    )
    return commitment
