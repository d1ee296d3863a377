"""Writes for contracts: direct entry, supply chain (with the 30-day flow-down rule), variations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from fullvalue.domain.roles import Role
from fullvalue.engine.payments import load_spec
from fullvalue.errors import FullvalueError, NotFound, PermissionDenied, Problem
from fullvalue.web.audit.services import audit_record
from fullvalue.web.contracts.models import Contract, SupplyChainMember, Variation
from fullvalue.web.core.actor import Actor
from fullvalue.web.organisations.models import Organisation

MAX_FLOW_DOWN_DAYS = 30


def rule_flow_down_terms(days: int) -> Problem | None:
    """A prime must pay its sub-contractors within 30 days (Procurement Act 2023 s.73 implies 30-day terms down the supply chain)."""  # noqa: E501
    if days > MAX_FLOW_DOWN_DAYS:
        return Problem(
            f"Payment terms of {days} days are too long: sub-contractors must be paid within "
            f"{MAX_FLOW_DOWN_DAYS} days",
            column="payment_terms_days",
        )
    return None


def rule_shares_within_whole(shares: list[Decimal]) -> Problem | None:
    """A supply chain's shares of value cannot add up to more than 100%."""
    total = sum(shares, Decimal(0))
    if total > 1:
        return Problem(
            f"The shares of value add up to {total * 100:.1f}%, over 100%", column="share_of_value"
        )
    return None


def _commissioner_contract(actor: Actor, contract_id: int) -> Contract:
    actor.require_can_write()
    contract = Contract.objects.select_for_update().filter(id=contract_id).first()
    if contract is None:
        raise NotFound("No such contract.")
    if not (
        actor.is_system_admin
        or (actor.role == Role.COMMISSIONER and actor.belongs_to(contract.commissioner_id))
    ):
        raise PermissionDenied("Only the contract's commissioner can change it.")
    return contract


def _share(value: Any, column: str, problems: list[Problem]) -> Decimal:
    try:
        share = Decimal(str(value))
        if not share.is_finite() or share < 0 or share > 1:
            raise InvalidOperation
        return share
    except InvalidOperation:
        problems.append(Problem("A share is between 0 and 1 (0% and 100%)", column=column))
        return Decimal(0)


@transaction.atomic
def contract_create(*, actor: Actor, data: dict[str, Any]) -> Contract:
    """Enter an existing contract or grant directly (not from an award)."""
    actor.require_can_write()
    actor.require_role(
        Role.COMMISSIONER, Role.SYSTEM_ADMIN, message="Only commissioners enter contracts."
    )
    problems: list[Problem] = []
    title = str(data.get("title") or "").strip()
    if not title:
        problems.append(Problem("Enter a title", column="title"))
    provider = Organisation.objects.filter(id=data.get("provider_id") or 0).first()
    if provider is None:
        problems.append(Problem("Choose the prime or sole provider", column="provider_id"))
    try:
        value = Decimal(str(data.get("value")))
        if not value.is_finite() or value <= 0:
            raise InvalidOperation
    except InvalidOperation:
        problems.append(Problem("Enter the contract value in pounds, above 0", column="value"))
        value = Decimal(0)
    mechanism = str(data.get("mechanism_toml") or "")
    if mechanism.strip():
        try:
            load_spec(mechanism + "\n")
        except FullvalueError as exc:
            problems += [
                Problem(p.reason, location=p.location, column="mechanism_toml")
                for p in exc.problems
            ] or [Problem(exc.message, column="mechanism_toml")]
    dates: dict[str, dt.date | None] = {}
    for name in ("start_date", "end_date"):
        raw = data.get(name)
        try:
            dates[name] = dt.date.fromisoformat(str(raw)) if raw else None
        except ValueError:
            problems.append(Problem("Enter a date like 2027-04-01", column=name))
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
        title=title[:200],
        value=value.quantize(Decimal("0.01")),
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
    is_prime_admin = actor.role == Role.PROVIDER_ADMIN and actor.belongs_to(contract.provider_id)
    is_commissioner = actor.role == Role.COMMISSIONER and actor.belongs_to(contract.commissioner_id)
    if not (is_prime_admin or is_commissioner or actor.is_system_admin):
        raise PermissionDenied("Only the prime or the commissioner can change the supply chain.")
    problems: list[Problem] = []
    if not reason.strip():
        problems.append(Problem("Say why the supply chain changes", column="reason"))
    rows: list[dict[str, Any]] = []
    for i, row in enumerate(members):
        org = Organisation.objects.filter(id=row.get("organisation_id") or 0).first()
        if org is None or org.id == contract.provider_id:
            problems.append(
                Problem(
                    "Choose a sub-contractor other than the prime",
                    location=f"members[{i}]",
                    column="organisation_id",
                )
            )
            continue
        try:
            days = int(row.get("payment_terms_days", 30))
        except (TypeError, ValueError):
            days = 999
        if (problem := rule_flow_down_terms(days)) is not None:
            problems.append(
                Problem(problem.reason, location=f"members[{i}]", column="payment_terms_days")
            )
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
    if (problem := rule_shares_within_whole([r["share_of_value"] for r in rows])) is not None:
        problems.append(problem)
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
        reason=reason.strip(),
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
