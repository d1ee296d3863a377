"""Tender timeline and bid composition rules (pure; each docstring is the rule shown to users)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from fullvalue.errors import Problem

#: Minimum days from publication to the submission deadline, per procedure. Procurement Act
#: 2023 s.54 sets 25 days for an electronic open or competitive flexible tender (shorter only in
#: listed cases); for grant competitions we use 21 days, long enough for small charities.
MIN_TENDER_DAYS = {"open": 25, "competitive_flexible": 25, "grant": 21}
#: Default minimum days from publication for consortia to form (the seed: consortia need time).
DEFAULT_CONSORTIUM_DAYS = 14
#: Clarification questions close at least this many days before the submission deadline.
MIN_CLARIFICATION_GAP_DAYS = 5


@dataclass(frozen=True)
class Timeline:
    """A tender's dates (timezone-aware)."""

    published_at: dt.datetime
    consortium_deadline: dt.datetime
    clarification_deadline: dt.datetime
    submission_deadline: dt.datetime


def check_timeline(
    procedure: str, timeline: Timeline, consortium_days: int = DEFAULT_CONSORTIUM_DAYS
) -> list[Problem]:
    """Every timeline rule the dates break.

    - The submission deadline must leave the minimum tendering period for the procedure.
    - Consortia must have at least ``consortium_days`` from publication to form, and the
      consortium deadline must fall before the submission deadline.
    - Clarification questions must close at least 5 days before the submission deadline.
    """
    problems: list[Problem] = []
    days = MIN_TENDER_DAYS.get(procedure)
    if days is None:
        return [Problem(f"{procedure!r} is not a procedure we run", column="procedure")]
    t = timeline
    if t.submission_deadline - t.published_at < dt.timedelta(days=days):
        problems.append(
            Problem(
                f"The submission deadline must be at least {days} days after publication for "
                "this procedure",
                column="submission_deadline",
            )
        )
    if t.consortium_deadline - t.published_at < dt.timedelta(days=consortium_days):
        problems.append(
            Problem(
                f"Consortia need at least {consortium_days} days from publication to form",
                column="consortium_deadline",
            )
        )
    if t.consortium_deadline >= t.submission_deadline:
        problems.append(
            Problem(
                "The consortium deadline must fall before the submission deadline",
                column="consortium_deadline",
            )
        )
    if t.submission_deadline - t.clarification_deadline < dt.timedelta(
        days=MIN_CLARIFICATION_GAP_DAYS
    ):
        problems.append(
            Problem(
                "Clarification questions must close at least 5 days before the submission deadline",
                column="clarification_deadline",
            )
        )
    if t.clarification_deadline <= t.published_at:
        problems.append(
            Problem(
                "Clarification questions must close after publication",
                column="clarification_deadline",
            )
        )
    return problems


@dataclass(frozen=True)
class PartyShare:
    """An organisation's part in a bid: role, share of value and of work (0-1)."""

    organisation_id: int
    role: str
    share_of_value: Decimal
    share_of_work: Decimal
    carries_working_capital: bool = False


def check_parties(parties: Sequence[PartyShare]) -> list[Problem]:
    """Every rule a bid's parties break.

    - A bid has exactly one lead.
    - Each share of value and of work is between 0 and 1 (0% and 100%).
    - Shares of value, and shares of work, each add up to 100%.
    - An organisation appears once.
    - Someone carries the working capital.
    """
    problems: list[Problem] = []
    leads = [p for p in parties if p.role == "lead"]
    if len(leads) != 1:
        problems.append(Problem("A bid needs exactly one lead organisation", column="parties"))
    seen: set[int] = set()
    for i, p in enumerate(parties):
        where = f"parties[{i}]"
        for name, share in (
            ("share_of_value", p.share_of_value),
            ("share_of_work", p.share_of_work),
        ):
            if share < 0 or share > 1:
                problems.append(
                    Problem(
                        f"A {name.replace('_', ' ')} must be between 0% and 100%",
                        location=f"{where}.{name}",
                        column=name,
                    )
                )
        if p.organisation_id in seen:
            problems.append(
                Problem(
                    "An organisation appears twice in the bid", location=where, column="parties"
                )
            )
        seen.add(p.organisation_id)
    for name in ("share_of_value", "share_of_work"):
        total = sum((getattr(p, name) for p in parties), Decimal(0))
        if parties and total != 1:
            problems.append(
                Problem(
                    f"The shares of {name.split('_')[-1]} add up to "
                    f"{(total * 100).normalize():f}%, not 100%",
                    column=name,
                )
            )
    if parties and not any(p.carries_working_capital for p in parties):
        problems.append(
            Problem(
                "Say which organisation carries the working capital",
                column="carries_working_capital",
            )
        )
    return problems


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
