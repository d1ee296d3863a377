"""Tender timeline and bid composition rules (pure; each docstring is the rule shown to users).

Each rule has the shape of :mod:`fullvalue.rules`; ``check_*`` run a group and report every
breach together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from fullvalue.errors import Problem
from fullvalue.rules import Breach, check, rule

#: Minimum days from publication to the submission deadline, per procedure. Procurement Act
#: 2023 s.54 sets 25 days for an electronic open or competitive flexible tender (shorter only in
#: listed cases); for grant competitions we use 21 days, long enough for small charities.
MIN_TENDER_DAYS = {"open": 25, "competitive_flexible": 25, "grant": 21}
#: Default minimum days from publication for consortia to form (the seed: consortia need time).
DEFAULT_CONSORTIUM_DAYS = 14
#: Clarification questions close at least this many days before the submission deadline.
MIN_CLARIFICATION_GAP_DAYS = 5
#: A lot reserved for small organisations is open to leads with an annual income (GBP) below this.
SMALL_INCOME_LIMIT = Decimal("1000000")


@dataclass(frozen=True)
class Timeline:
    """A tender's dates (timezone-aware)."""

    published_at: dt.datetime
    consortium_deadline: dt.datetime
    clarification_deadline: dt.datetime
    submission_deadline: dt.datetime


def _days(delta: dt.timedelta) -> str:
    return f"{delta.days} day{'' if delta.days == 1 else 's'}"


@rule
def rule_tendering_period(procedure: str, timeline: Timeline) -> Iterator[Breach]:
    """The submission deadline must leave the minimum tendering period after publication.

    25 days for an open or competitive flexible procedure (Procurement Act 2023 s.54), 21 days
    for a grant competition: :data:`MIN_TENDER_DAYS`.
    """
    days = MIN_TENDER_DAYS[procedure]
    given = timeline.submission_deadline - timeline.published_at
    if given < dt.timedelta(days=days):
        yield Breach(
            f"this procedure needs at least {days} days and the deadline is {_days(given)} "
            "after publication",
            column="submission_deadline",
        )


@rule
def rule_consortia_have_time_to_form(timeline: Timeline, consortium_days: int) -> Iterator[Breach]:
    """Consortia need time to form: the consortium deadline must leave the days set for it after publication.

    :data:`DEFAULT_CONSORTIUM_DAYS` unless the tender sets more.
    """  # noqa: E501
    given = timeline.consortium_deadline - timeline.published_at
    if given < dt.timedelta(days=consortium_days):
        yield Breach(
            f"at least {consortium_days} days are needed and the deadline is {_days(given)} "
            "after publication",
            column="consortium_deadline",
        )


@rule
def rule_consortium_deadline_before_submission(timeline: Timeline) -> Iterator[Breach]:
    """The consortium deadline must fall before the submission deadline."""
    if timeline.consortium_deadline >= timeline.submission_deadline:
        yield Breach(column="consortium_deadline")


@rule
def rule_clarifications_close_before_submission(timeline: Timeline) -> Iterator[Breach]:
    """Clarification questions must close at least 5 days before the submission deadline.

    :data:`MIN_CLARIFICATION_GAP_DAYS`.
    """
    gap = timeline.submission_deadline - timeline.clarification_deadline
    if gap < dt.timedelta(days=MIN_CLARIFICATION_GAP_DAYS):
        yield Breach(f"they close {_days(gap)} before it", column="clarification_deadline")


@rule
def rule_clarifications_close_after_publication(timeline: Timeline) -> Iterator[Breach]:
    """Clarification questions must close after publication."""
    if timeline.clarification_deadline <= timeline.published_at:
        yield Breach(column="clarification_deadline")


def check_timeline(
    procedure: str, timeline: Timeline, consortium_days: int = DEFAULT_CONSORTIUM_DAYS
) -> list[Problem]:
    """Every timeline rule the dates break (an unknown procedure is the only problem reported)."""
    if procedure not in MIN_TENDER_DAYS:
        return [Problem(f"{procedure!r} is not a procedure we run", column="procedure")]
    return check(
        rule_tendering_period(procedure, timeline),
        rule_consortia_have_time_to_form(timeline, consortium_days),
        rule_consortium_deadline_before_submission(timeline),
        rule_clarifications_close_before_submission(timeline),
        rule_clarifications_close_after_publication(timeline),
    )


@dataclass(frozen=True)
class PartyShare:
    """An organisation's part in a bid: role, share of value and of work (0-1)."""

    organisation_id: int
    role: str
    share_of_value: Decimal
    share_of_work: Decimal
    carries_working_capital: bool = False


@rule
def rule_one_lead(parties: Sequence[PartyShare]) -> Iterator[Breach]:
    """A bid needs exactly one lead organisation."""
    leads = sum(1 for p in parties if p.role == "lead")
    if leads != 1:
        yield Breach(f"{leads} leads are named", column="parties")


@rule
def rule_party_shares_between_0_and_100(parties: Sequence[PartyShare]) -> Iterator[Breach]:
    """Each share of value and each share of work must be between 0% and 100%."""
    for i, p in enumerate(parties):
        for name in ("share_of_value", "share_of_work"):
            share: Decimal = getattr(p, name)
            if share < 0 or share > 1:
                yield Breach(
                    f"a {name.replace('_', ' ')} is {(share * 100).normalize():f}%",
                    location=f"parties[{i}].{name}",
                    column=name,
                )


@rule
def rule_organisation_appears_once(parties: Sequence[PartyShare]) -> Iterator[Breach]:
    """An organisation can take only one part in a bid."""
    seen: set[int] = set()
    for i, p in enumerate(parties):
        if p.organisation_id in seen:
            yield Breach("it appears twice in the bid", location=f"parties[{i}]", column="parties")
        seen.add(p.organisation_id)


@rule
def rule_party_shares_add_up_to_100(parties: Sequence[PartyShare]) -> Iterator[Breach]:
    """The shares of value, and the shares of work, must each add up to 100%."""
    for name in ("share_of_value", "share_of_work"):
        total = sum((getattr(p, name) for p in parties), Decimal(0))
        if parties and total != 1:
            yield Breach(
                f"the shares of {name.split('_')[-1]} add up to {(total * 100).normalize():f}%",
                column=name,
            )


@rule
def rule_someone_carries_working_capital(parties: Sequence[PartyShare]) -> Iterator[Breach]:
    """Say which organisation carries the working capital."""
    if parties and not any(p.carries_working_capital for p in parties):
        yield Breach(column="carries_working_capital")


def check_parties(parties: Sequence[PartyShare]) -> list[Problem]:
    """Every rule a bid's parties break."""
    return check(
        rule_one_lead(parties),
        rule_party_shares_between_0_and_100(parties),
        rule_organisation_appears_once(parties),
        rule_party_shares_add_up_to_100(parties),
        rule_someone_carries_working_capital(parties),
    )


@rule
def rule_small_lot_income(
    reserved_for_small: bool, annual_income: Decimal | None
) -> Iterator[Breach]:
    """A lot reserved for small organisations is open to leads with an annual income under £1 million.

    :data:`SMALL_INCOME_LIMIT`; the lead organisation's income is the one that counts, and it
    must be recorded in its profile.
    """  # noqa: E501
    if not reserved_for_small:
        return
    if annual_income is None:
        yield Breach("the lead organisation's income is not recorded", column="lot")
    elif annual_income >= SMALL_INCOME_LIMIT:
        yield Breach(f"the lead organisation's income is £{annual_income:,.0f}", column="lot")


ROLE_WORDS = {
    "lead": "lead organisation",
    "member": "consortium member",
    "subcontractor": "sub-contractor",
}


def _percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"


def describe_part(party: PartyShare) -> str:
    """A party's part in plain words.

    Examples
    --------
    >>> describe_part(PartyShare(7, "subcontractor", Decimal("0.1"), Decimal("0.15")))
    'sub-contractor with 10% of the value and 15% of the work'
    """
    role = ROLE_WORDS.get(party.role, party.role)
    return (
        f"{role} with {_percent(party.share_of_value)} of the value "
        f"and {_percent(party.share_of_work)} of the work"
        + (", carrying the working capital" if party.carries_working_capital else "")
    )


def check_partners_confirmed(
    parties: Sequence[PartyShare],
    confirmed: Mapping[int, PartyShare],
    names: Mapping[int, str],
) -> list[Problem]:
    """Every consortium member and sub-contractor confirms its part before the bid is submitted.

    A part is confirmed when the organisation's administrator has agreed to exactly the role,
    shares and working capital the bid names; if the lead changes any of them afterwards, the
    organisation confirms again. ``confirmed`` maps organisation ids to the part each confirmed.

    Examples
    --------
    >>> lead = PartyShare(1, "lead", Decimal("0.9"), Decimal("0.85"), True)
    >>> sub = PartyShare(2, "subcontractor", Decimal("0.1"), Decimal("0.15"))
    >>> [problem] = check_partners_confirmed([lead, sub], {}, {2: "Tees Mentors"})
    >>> problem.reason[:74]
    'Tees Mentors has not confirmed its part (sub-contractor with 10% of the va'
    >>> check_partners_confirmed([lead, sub], {2: sub}, {2: "Tees Mentors"})
    []
    """
    problems = []
    for party in parties:
        if party.role == "lead" or confirmed.get(party.organisation_id) == party:
            continue
        name = names.get(party.organisation_id, f"Organisation {party.organisation_id}")
        problems.append(
            Problem(
                f"{name} has not confirmed its part ({describe_part(party)}). "
                "Its administrator confirms it from their dashboard.",
                column="parties",
            )
        )
    return problems
