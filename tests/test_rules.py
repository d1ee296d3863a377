"""The one shape of a business rule: docstring = message, Problems out, all breaches together."""

from __future__ import annotations

from collections.abc import Iterator

from fullvalue.errors import Problem
from fullvalue.rules import Breach, Rule, check, rule, rule_text


@rule
def claims_within_six_weeks(days_late: list[int]) -> Iterator[Breach]:
    """A claim is made within six weeks
    of the outcome.

    Why: the payment run for the quarter closes then.
    """
    for index, days in enumerate(days_late):
        if days > 42:
            yield Breach(f"it is {days} days after", location=f"claims[{index}]", column="date")


def test_a_kept_rule_finds_nothing():
    assert claims_within_six_weeks([0, 42]) == []


def test_every_breach_is_a_problem_that_states_the_rule_first():
    """Two late claims of three => two problems, each the rule's text then what is wrong there."""
    problems = claims_within_six_weeks([50, 10, 43])
    assert problems == [
        Problem(
            "A claim is made within six weeks of the outcome. Here it is 50 days after.",
            location="claims[0]",
            column="date",
        ),
        Problem(
            "A claim is made within six weeks of the outcome. Here it is 43 days after.",
            location="claims[2]",
            column="date",
        ),
    ]


def test_the_rule_keeps_its_name_text_and_docstring():
    assert isinstance(claims_within_six_weeks, Rule)
    assert claims_within_six_weeks.name == "claims_within_six_weeks"
    assert claims_within_six_weeks.text == "A claim is made within six weeks of the outcome."
    assert claims_within_six_weeks.__doc__.startswith("A claim is made")
    assert rule_text(claims_within_six_weeks) == claims_within_six_weeks.text


def test_a_breach_without_detail_is_the_rule_text_alone():
    @rule
    def named() -> Iterator[Breach]:
        """A lead organisation is named."""
        yield Breach(column="lead")

    assert named() == [Problem("A lead organisation is named.", column="lead")]


def test_check_reports_every_rule_broken_together_in_order():
    found = check(claims_within_six_weeks([60]), [], claims_within_six_weeks([1, 70]))
    assert [p.location for p in found] == ["claims[0]", "claims[1]"]
