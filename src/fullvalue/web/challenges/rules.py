"""The Right to Challenge's clocks and decision rules (named; the docstring is the rule read)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from fullvalue.rules import Breach, rule

#: Days the authority has, from receipt, to tell the body when it will decide.
TIMETABLE_DAYS = 30

#: The ten statutory grounds for rejecting an expression of interest, in plain words.
GROUNDS = {
    "non-compliant": "It does not comply with the requirements for an expression of interest",
    "inadequate-information": "It gives information that is inadequate or inaccurate",
    "unsuitable-body": "The body, or a consortium member or sub-contractor, is not suitable",
    "service-to-stop": "The authority has decided to stop providing the service",
    "nhs-integrated": "The service is provided with the NHS and changing it would harm that",
    "procurement-under-way": "A procurement of the service is already under way",
    "third-party-negotiations": "The authority is negotiating with a third party to provide it",
    "employee-led-published": (
        "The authority has published its intention to let its employees run it"
    ),
    "frivolous-vexatious": "It is frivolous or vexatious",
    "breach-of-law": "Accepting it would, or would be likely to, break the law",
}


def timetable_due_on(received_on: dt.date) -> dt.date:
    """The last day the authority may tell the body when it will decide."""
    return received_on + dt.timedelta(days=TIMETABLE_DAYS)


@rule
def timetable_within_thirty_days(interest: Any, today: dt.date) -> Iterator[Breach]:
    """Within 30 days of receipt the authority tells the body when it will decide."""
    due = timetable_due_on(interest.received_on)
    sent = interest.decision_timetable_sent_on
    if sent is None and today > due:
        yield Breach(f"it was due by {due:%-d %B %Y} and has not been sent")
    elif sent is not None and sent > due:
        yield Breach(f"it was due by {due:%-d %B %Y} and sent on {sent:%-d %B %Y}")


@rule
def decided_when_promised(interest: Any, today: dt.date) -> Iterator[Breach]:
    """The authority decides by the date it told the body."""
    if interest.outcome == "pending" and interest.decide_by and today > interest.decide_by:
        yield Breach(f"the decision was due by {interest.decide_by:%-d %B %Y}")


@rule
def received_while_window_open(window: Any, today: dt.date) -> Iterator[Breach]:
    """Expressions of interest are received only while the authority's window is open."""
    if today < window.opens_on:
        yield Breach(f"the window opens on {window.opens_on:%-d %B %Y}", column="window")
    elif today > window.closes_on:
        yield Breach(f"the window closed on {window.closes_on:%-d %B %Y}", column="window")


@rule
def rejected_on_statutory_grounds(
    outcome: str, grounds: list[str], reasons: str
) -> Iterator[Breach]:
    """A rejection is on one or more of the ten statutory grounds, with reasons."""
    if outcome != "rejected":
        return
    if not grounds:
        yield Breach("no ground is chosen", column="grounds")
    unknown = [g for g in grounds if g not in GROUNDS]
    if unknown:
        yield Breach(f"{', '.join(unknown)} is not a statutory ground", column="grounds")
    if not reasons:
        yield Breach("no reasons are given", column="reasons")


@rule
def modifications_agreed(outcome: str, modifications: str) -> Iterator[Breach]:
    """An acceptance with modifications states the modifications agreed with the body."""
    if outcome == "modified" and not modifications:
        yield Breach("none are stated", column="modifications")


@rule
def window_periods_in_order(
    opens_on: dt.date, closes_on: dt.date, min_days: int, max_days: int
) -> Iterator[Breach]:
    """A window closes after it opens; its longest period to procure is not below its shortest."""
    if closes_on < opens_on:
        yield Breach("it closes before it opens", column="closes_on")
    if max_days < min_days:
        yield Breach(
            "the longest period is shorter than the shortest", column="max_days_to_procure"
        )
