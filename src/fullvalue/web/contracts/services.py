"""Writes for contracts: direct entry, supply chain (30-day flow-down rule), KPIs, milestones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction

from fullvalue.engine.payments import parse_spec
from fullvalue.errors import FullvalueError, NotFound, PermissionDenied, Problem
from fullvalue.rules import Breach, rule
from fullvalue.web.audit.services import audit_record
from fullvalue.web.contracts import policy
from fullvalue.web.contracts.models import (
    Contract,
    Kpi,
    KpiObservation,
    Milestone,
    SupplyChainMember,
    Variation,
)
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.policy import refusal, require
from fullvalue.web.organisations.selectors import organisation_by_id

if TYPE_CHECKING:
    pass

#: Longest payment terms (days) a prime may give its sub-contractors (the flow-down rule).
MAX_FLOW_DOWN_DAYS = 30


@rule
def rule_flow_down_terms(days: int, where: str = "") -> Iterator[Breach]:
    """A prime must pay its sub-contractors within 30 days (Procurement Act 2023 s.73 implies 30-day terms down the supply chain).

    The limit is :data:`MAX_FLOW_DOWN_DAYS`; payment runs cap due dates at it too.
    """  # noqa: E501
    if days > MAX_FLOW_DOWN_DAYS:
        yield Breach(
            f"the payment terms are {days} days", location=where, column="payment_terms_days"
        )


@rule
def rule_shares_within_whole(shares: list[Decimal]) -> Iterator[Breach]:
    """A supply chain's shares of value cannot add up to more than 100%."""
    total = sum(shares, Decimal(0))
    if total > 1:
        yield Breach(f"they add up to {total * 100:.1f}%", column="share_of_value")


def _commissioner_contract(actor: Actor, contract_id: int) -> Contract:
    actor.require_can_write()
    contract = Contract.objects.select_for_update().filter(id=contract_id).first()
    if contract is None:
        raise NotFound("No such contract.")
    require(policy.can_manage_contract, actor, contract)
    return contract


def _share(value: Any, column: str, problems: list[Problem]) -> Decimal:
    try:
        return fields.share(value, column)
    except fields.FieldInvalid:
        problems.append(Problem("A share is between 0 and 1 (0% and 100%)", column=column))
        return Decimal(0)


@transaction.atomic
def contract_create(*, actor: Actor, data: dict[str, Any]) -> Contract:
    """Enter an existing contract or grant directly (not from an award)."""
    actor.require_can_write()
    require(policy.can_enter_contract, actor)
    problems: list[Problem] = []
    read = fields.Fields(problems)
    title = read(fields.text, data.get("title"), "title", max_length=fields.MAX_TITLE) or ""
    if not title and not problems:
        problems.append(Problem("Enter a title", column="title"))
    provider_id = read(fields.identifier, data.get("provider_id") or 0, "provider_id")
    provider = organisation_by_id(provider_id) if provider_id else None
    if provider is None:
        problems.append(Problem("Choose the prime or sole provider", column="provider_id"))
    value = read(fields.money, data.get("value"), "value", above_minimum=True) or Decimal(0)
    mechanism = str(data.get("mechanism_toml") or "")
    if mechanism.strip():
        try:
            parse_spec(mechanism)
        except FullvalueError as exc:
            problems += [
                Problem(p.reason, location=p.location, column="mechanism_toml")
                for p in exc.problems
            ] or [Problem(exc.message, column="mechanism_toml")]
    dates: dict[str, dt.date | None] = {}
    for name in ("start_date", "end_date"):
        raw = data.get(name)
        dates[name] = read(fields.date, raw, name) if raw else None
    start, end = dates.get("start_date"), dates.get("end_date")
    if start is not None and end is not None and end < start:
        problems.append(Problem("The end date must be after the start date", column="end_date"))
    kind = data.get("kind") or "contract"
    if kind not in ("contract", "grant"):
        problems.append(Problem("Choose contract or grant", column="kind"))
    if problems:
        raise FullvalueError.from_problems("The contract needs correcting.", problems)
    assert provider is not None and actor.organisation_id is not None
    contract = Contract.objects.create(
        commissioner_id=actor.organisation_id,
        provider=provider,
        title=title,
        value=value,
        mechanism_toml=mechanism,
        kind=kind,
        status=Contract.Status.ACTIVE,
        **dates,
    )
    SupplyChainMember.objects.create(
        contract=contract,
        organisation=provider,
        role="lead",
        share_of_value=Decimal(1),
        share_of_work=Decimal(1),
        carries_working_capital=True,
    )
    audit_record(
        actor=actor,
        action="contract.create",
        object_type="contract",
        object_id=contract.id,
        object_repr=contract.title,
        after={"provider": provider.id, "value": contract.value, "kind": kind},
        organisation_id=contract.commissioner_id,
    )
    return contract


@transaction.atomic
def contract_from_award(
    *,
    actor: Actor,
    award_id: int,
    commissioner_id: int,
    provider_id: int,
    title: str,
    value: Decimal,
    mechanism_toml: str,
    parties: list[dict[str, Any]],
) -> Contract:
    """Create the contract an award becomes, with the winning bid's supply chain, audited.

    Called by tendering when an award is confirmed after standstill; the parties are the bid's
    (organisation, role, shares, who carries working capital).
    """
    actor.require_can_write()
    if not (actor.is_system_admin or actor.belongs_to(commissioner_id)):
        raise PermissionDenied(refusal(policy.is_contract_commissioner))
    contract = Contract.objects.create(
        award_id=award_id,
        commissioner_id=commissioner_id,
        provider_id=provider_id,
        title=title[:200],
        value=value,
        mechanism_toml=mechanism_toml,
    )
    SupplyChainMember.objects.bulk_create(
        SupplyChainMember(
            contract=contract,
            organisation_id=p["organisation_id"],
            role=p["role"],
            share_of_value=Decimal(p["share_of_value"]),
            share_of_work=Decimal(p["share_of_work"]),
            carries_working_capital=p["carries_working_capital"],
        )
        for p in parties
    )
    audit_record(
        actor=actor,
        action="contract.create",
        object_type="contract",
        object_id=contract.id,
        object_repr=contract.title,
        after={
            "award": award_id,
            "provider": provider_id,
            "value": contract.value,
            "supply_chain": [p["organisation_id"] for p in parties],
        },
        organisation_id=commissioner_id,
    )
    return contract


@transaction.atomic
def supply_chain_set(
    *, actor: Actor, contract_id: int, members: list[dict[str, Any]], reason: str
) -> list[SupplyChainMember]:
    """Set the supply chain below the prime: sub-contractors, shares, terms (≤ 30 days).

    The prime (or the commissioner) does this; the prime keeps what is not shared out. The
    change is a variation, kept with its reason and before/after.
    """
    actor.require_can_write()
    contract = Contract.objects.select_for_update().filter(id=contract_id).first()
    if contract is None:
        raise NotFound("No such contract.")
    require(policy.can_change_supply_chain, actor, contract)
    problems: list[Problem] = []
    read = fields.Fields(problems)
    reason = read(fields.text, reason, "reason", max_length=fields.MAX_TEXT, multiline=True) or ""
    if not reason and not problems:
        problems.append(Problem("Say why the supply chain changes", column="reason"))
    rows: list[dict[str, Any]] = []
    for i, row in enumerate(members):
        if not isinstance(row, dict):
            problems.append(Problem("Give each member as an object", location=f"members[{i}]"))
            continue
        org_id = read(fields.identifier, row.get("organisation_id") or 0, "organisation_id")
        org = organisation_by_id(org_id) if org_id else None
        if org is None or org.id == contract.provider_id:
            problems.append(
                Problem(
                    "Choose a sub-contractor other than the prime",
                    location=f"members[{i}]",
                    column="organisation_id",
                )
            )
            continue
        days = read(
            fields.integer,
            row.get("payment_terms_days", MAX_FLOW_DOWN_DAYS),
            "payment_terms_days",
            minimum=0,
            maximum=365,
        )
        if days is None:
            continue
        problems += rule_flow_down_terms(days, where=f"members[{i}]")
        rows.append(
            {
                "organisation": org,
                "role": "subcontractor",
                "share_of_value": _share(row.get("share_of_value"), "share_of_value", problems),
                "share_of_work": _share(row.get("share_of_work"), "share_of_work", problems),
                "upfront_share": _share(row.get("upfront_share", 0), "upfront_share", problems),
                "carries_working_capital": bool(row.get("carries_working_capital")),
                "payment_terms_days": days,
            }
        )
    problems += rule_shares_within_whole([r["share_of_value"] for r in rows])
    if len({r["organisation"].id for r in rows}) != len(rows):
        problems.append(Problem("An organisation appears twice", column="organisation_id"))
    if problems:
        raise FullvalueError.from_problems("The supply chain needs correcting.", problems)
    before = _chain_snapshot(contract)
    prime = contract.supply_chain.filter(organisation_id=contract.provider_id).first()
    contract.supply_chain.exclude(organisation_id=contract.provider_id).filter(
        payments__isnull=True
    ).delete()
    for r in rows:
        SupplyChainMember.objects.update_or_create(
            contract=contract, organisation=r.pop("organisation"), defaults=r
        )
    prime_share = Decimal(1) - sum((r["share_of_value"] for r in rows), Decimal(0))
    if prime is not None:
        prime.share_of_value = prime_share
        prime.share_of_work = Decimal(1) - sum((r["share_of_work"] for r in rows), Decimal(0))
        prime.save(update_fields=["share_of_value", "share_of_work"])
    after = _chain_snapshot(contract)
    Variation.objects.create(
        contract=contract,
        made_by_id=actor.user_id,
        reason=reason,
        changes={"supply_chain": [before, after]},
    )
    audit_record(
        actor=actor,
        action="contract.supply_chain",
        object_type="contract",
        object_id=contract.id,
        object_repr=contract.title,
        before={"supply_chain": before},
        after={"supply_chain": after},
        organisation_id=contract.commissioner_id,
    )
    return list(contract.supply_chain.select_related("organisation"))


def _chain_snapshot(contract: Contract) -> list[dict[str, Any]]:
    return [
        {
            "organisation": m.organisation_id,
            "share_of_value": str(m.share_of_value),
            "share_of_work": str(m.share_of_work),
            "terms": m.payment_terms_days,
        }
        for m in contract.supply_chain.order_by("organisation_id")
    ]


def _day(value: Any, column: str, problems: list[Problem]) -> dt.date | None:
    return fields.Fields(problems)(fields.date, value if value is not None else "", column)


@transaction.atomic
def kpi_add(*, actor: Actor, contract_id: int, data: dict[str, Any]) -> Kpi:
    """Add a KPI with its target (the commissioner); recorded as a variation."""
    contract = _commissioner_contract(actor, contract_id)
    problems: list[Problem] = []
    read = fields.Fields(problems)
    name = read(fields.text, data.get("name"), "name", max_length=200) or ""
    if not name and not problems:
        problems.append(Problem("Name the KPI", column="name"))
    unit = read(fields.text, data.get("unit"), "unit", max_length=40) or ""
    if not unit and not any(p.column == "unit" for p in problems):
        problems.append(Problem("Give the unit, like 'people' or '%'", column="unit"))
    target = read(fields.quantity, data.get("target"), "target") or Decimal(0)
    direction = data.get("higher_is_better")
    if direction not in (True, False, "yes", "no"):
        problems.append(Problem("Say whether higher values are better", column="higher_is_better"))
    if problems:
        raise FullvalueError.from_problems("The KPI needs correcting.", problems)
    kpi = Kpi.objects.create(
        contract=contract,
        name=name,
        unit=unit,
        target=target,
        higher_is_better=direction in (True, "yes"),
    )
    Variation.objects.create(
        contract=contract,
        made_by_id=actor.user_id,
        reason=f"KPI added: {kpi.name}",
        changes={"kpi": [None, {"name": kpi.name, "target": str(target), "unit": kpi.unit}]},
    )
    audit_record(
        actor=actor,
        action="contract.kpi_add",
        object_type="kpi",
        object_id=kpi.id,
        object_repr=kpi.name,
        after={"target": target, "unit": kpi.unit, "higher_is_better": kpi.higher_is_better},
        organisation_id=contract.commissioner_id,
    )
    return kpi


@transaction.atomic
def kpi_observe(*, actor: Actor, kpi_id: int, data: dict[str, Any]) -> KpiObservation:
    """Record a KPI's actual value for a period (the commissioner or the prime)."""
    actor.require_can_write()
    kpi = Kpi.objects.select_related("contract").filter(id=kpi_id).first()
    if kpi is None:
        raise NotFound("No such KPI.")
    contract = kpi.contract
    require(policy.can_record_kpi_value, actor, contract)
    problems: list[Problem] = []
    start = _day(data.get("period_start"), "period_start", problems)
    end = _day(data.get("period_end"), "period_end", problems)
    if start and end and end < start:
        problems.append(Problem("The period must end after it starts", column="period_end"))
    value = fields.Fields(problems)(fields.quantity, data.get("value"), "value") or Decimal(0)
    if problems:
        raise FullvalueError.from_problems("The KPI value needs correcting.", problems)
    assert start is not None and end is not None
    observation, created = KpiObservation.objects.update_or_create(
        kpi=kpi,
        period_start=start,
        period_end=end,
        defaults={
            "value": value,
            "note": fields.text(data.get("note"), "note", max_length=300),
            "recorded_by_id": actor.user_id,
        },
    )
    audit_record(
        actor=actor,
        action="contract.kpi_observe",
        object_type="kpi",
        object_id=kpi.id,
        object_repr=f"{kpi.name} {start} to {end}",
        after={"value": value, "replaced": not created},
        organisation_id=contract.commissioner_id,
    )
    return observation


@transaction.atomic
def milestone_add(*, actor: Actor, contract_id: int, title: str, due_date: str) -> Milestone:
    """Add a milestone (the commissioner)."""
    contract = _commissioner_contract(actor, contract_id)
    problems: list[Problem] = []
    title = fields.Fields(problems)(fields.text, title, "title", max_length=200) or ""
    if not title and not problems:
        problems.append(Problem("Describe the milestone", column="title"))
    due = _day(due_date, "due_date", problems)
    if problems:
        raise FullvalueError.from_problems("The milestone needs correcting.", problems)
    assert due is not None
    milestone = Milestone.objects.create(contract=contract, title=title, due_date=due)
    audit_record(
        actor=actor,
        action="contract.milestone_add",
        object_type="milestone",
        object_id=milestone.id,
        object_repr=milestone.title,
        after={"due_date": due},
        organisation_id=contract.commissioner_id,
    )
    return milestone


@transaction.atomic
def milestone_met(*, actor: Actor, milestone_id: int, met_on: str) -> Milestone:
    """Record that a milestone was met, and when (the commissioner)."""
    milestone = Milestone.objects.select_for_update().filter(id=milestone_id).first()
    if milestone is None:
        raise NotFound("No such milestone.")
    contract = _commissioner_contract(actor, milestone.contract_id)
    problems: list[Problem] = []
    day = _day(met_on, "met_on", problems)
    if day and day > dt.date.today():
        problems.append(Problem("The date is in the future", column="met_on"))
    if problems:
        raise FullvalueError.from_problems("The date needs correcting.", problems)
    before = milestone.met_on
    milestone.met_on = day
    milestone.save(update_fields=["met_on"])
    audit_record(
        actor=actor,
        action="contract.milestone_met",
        object_type="milestone",
        object_id=milestone.id,
        object_repr=milestone.title,
        before={"met_on": before},
        after={"met_on": day},
        organisation_id=contract.commissioner_id,
    )
    return milestone
