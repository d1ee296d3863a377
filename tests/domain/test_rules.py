"""Domain rules of commissioning, one worked example each: kept, then broken."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fullvalue.domain import evaluation, tendering
from fullvalue.domain.evaluation import MAX_SCORE, SCALE, SOCIAL_VALUE_MINIMUM, Criterion
from fullvalue.domain.tendering import SMALL_INCOME_LIMIT, PartyShare, Timeline

D = Decimal
UTC = dt.UTC


def criteria(*weights: tuple[str, str, int]) -> list[Criterion]:
    return [Criterion(name, kind, D(w)) for name, kind, w in weights]


GOOD = criteria(("Price", "price", 30), ("Quality", "quality", 60), ("SV", "social_value", 10))


def test_weights_sum_to_100():
    """30 + 60 + 15 = 105 => broken, and the message says what they add up to."""
    assert evaluation.rule_weights_sum_to_100(GOOD) == []
    [problem] = evaluation.rule_weights_sum_to_100(
        criteria(("Price", "price", 30), ("Quality", "quality", 60), ("SV", "social_value", 15))
    )
    assert problem.reason == (
        "The weights of the award criteria must add up to 100. Here they add up to 105."
    )
    assert problem.column == "weights"


def test_social_value_at_least_10_unless_a_reason_is_recorded():
    """Social value at 5% => broken; with a recorded reason => kept."""
    low = criteria(("Price", "price", 40), ("Quality", "quality", 55), ("SV", "social_value", 5))
    assert evaluation.rule_social_value_at_least_10(GOOD) == []
    [problem] = evaluation.rule_social_value_at_least_10(low)
    assert "at least 10%" in problem.reason and "carries 5%" in problem.reason
    assert evaluation.rule_social_value_at_least_10(low, "scored within quality") == []
    assert f"{SOCIAL_VALUE_MINIMUM:f}%" in evaluation.rule_social_value_at_least_10.text


def test_one_price_criterion_and_positive_weights():
    two_prices = criteria(("P1", "price", 50), ("P2", "price", 50))
    assert evaluation.rule_one_price_criterion(GOOD) == []
    assert "2 criteria are price" in evaluation.rule_one_price_criterion(two_prices)[0].reason
    zero = criteria(("Price", "price", 100), ("Quality", "quality", 0))
    assert evaluation.rule_weights_above_zero(GOOD) == []
    assert "Quality has weight 0" in evaluation.rule_weights_above_zero(zero)[0].reason


@pytest.mark.parametrize("score", [0, 3, MAX_SCORE])
def test_scores_on_the_scale_are_kept(score):
    assert evaluation.rule_score_on_the_scale(score) == []


@pytest.mark.parametrize("score", [-1, MAX_SCORE + 1, "4", 2.5, True, None])
def test_scores_off_the_scale_are_broken(score):
    [problem] = evaluation.rule_score_on_the_scale(score, column="score.7")
    assert problem.column == "score.7"
    assert problem.reason.startswith(f"Scores run from 0 to {MAX_SCORE}")


def test_max_score_is_the_top_of_the_scale_and_used_for_points():
    """A full score of 5 earns the whole weight: 25 x 5 / 5 = 25.00."""
    assert MAX_SCORE == max(SCALE) == 5
    assert evaluation.quality_points(MAX_SCORE, D(25)) == D("25.00")
    with pytest.raises(ValueError, match="Scores run from 0 to 5"):
        evaluation.quality_points(MAX_SCORE + 1, D(25))


def at(day: int) -> dt.datetime:
    return dt.datetime(2026, 1, 1, 12, tzinfo=UTC) + dt.timedelta(days=day)


def timeline(consortium=14, clarification=20, submission=30) -> Timeline:
    return Timeline(at(0), at(consortium), at(clarification), at(submission))


def test_a_good_timeline_breaks_nothing():
    assert tendering.check_timeline("open", timeline()) == []


def test_tendering_period():
    """Open procedure: 25 days; a deadline 24 days after publication breaks it, a grant (21) not."""
    short = timeline(clarification=15, submission=24)
    [problem] = tendering.rule_tendering_period("open", short)
    assert "needs at least 25 days" in problem.reason and "24 days after" in problem.reason
    assert tendering.rule_tendering_period("grant", short) == []


def test_consortia_have_time_to_form_and_deadline_order():
    """Consortium deadline on day 10 with 14 days set => broken; on/after submission => broken."""
    [problem] = tendering.rule_consortia_have_time_to_form(timeline(consortium=10), 14)
    assert "at least 14 days are needed" in problem.reason and "10 days after" in problem.reason
    assert tendering.rule_consortia_have_time_to_form(timeline(consortium=10), 10) == []
    assert tendering.rule_consortium_deadline_before_submission(timeline()) == []
    [late] = tendering.rule_consortium_deadline_before_submission(timeline(consortium=30))
    assert late.column == "consortium_deadline"


def test_clarification_window():
    """Questions closing 4 days before submission => broken (5 needed); before publication too."""
    [gap] = tendering.rule_clarifications_close_before_submission(timeline(clarification=26))
    assert "close 4 days before" in gap.reason
    assert tendering.rule_clarifications_close_before_submission(timeline(clarification=25)) == []
    [early] = tendering.rule_clarifications_close_after_publication(timeline(clarification=0))
    assert early.reason == "Clarification questions must close after publication."


def test_unknown_procedure_is_the_only_problem():
    [problem] = tendering.check_timeline("auction", timeline(consortium=99))
    assert "not a procedure we run" in problem.reason


def party(org, role="member", value="0.5", work="0.5", capital=False) -> PartyShare:
    return PartyShare(org, role, D(value), D(work), capital)


def test_good_parties_break_nothing():
    parties = [party(1, "lead", capital=True), party(2)]
    assert tendering.check_parties(parties) == []


def test_every_party_rule_is_reported_together():
    """No lead, a 120% share, a repeated organisation, no working capital: all at once."""
    parties = [party(1, value="1.2"), party(1, value="0.3")]
    found = tendering.check_parties(parties)
    reasons = " | ".join(p.reason for p in found)
    assert "0 leads are named" in reasons
    assert "a share of value is 120%" in reasons
    assert "appears twice" in reasons
    assert "the shares of value add up to 150%" in reasons
    assert "carries the working capital" in reasons
    assert len(found) == 5


@pytest.mark.parametrize(
    ("reserved", "income", "broken"),
    [
        (False, None, False),
        (False, D("5000000"), False),
        (True, SMALL_INCOME_LIMIT - D("0.01"), False),
        (True, SMALL_INCOME_LIMIT, True),
        (True, None, True),
    ],
)
def test_small_lot_income(reserved, income, broken):
    """A reserved lot: £999,999.99 is under £1 million, £1,000,000 is not."""
    found = tendering.rule_small_lot_income(reserved, income)
    assert bool(found) is broken
    if found:
        assert found[0].reason.startswith(tendering.rule_small_lot_income.text)
        assert "£1 million" in found[0].reason and found[0].column == "lot"
