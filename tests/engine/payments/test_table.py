"""The column-at-a-time settlement of tariff lines against a line-by-line Decimal reference."""

import random
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fullvalue.engine.payments.lines import SettlementLines
from fullvalue.engine.payments.money import (
    ZERO,
    allocate_largest_remainder,
    format_gbp,
    format_percent,
    round_half_up,
)
from fullvalue.engine.payments.results import load_paid, load_results, paid_table
from fullvalue.engine.payments.settlement import settle
from fullvalue.engine.payments.spec import Guaranteed, Tariff, validate_spec
from fullvalue.errors import FullvalueError

PERIODS = [
    {"name": f"Q{i}", "start": f"{2025 + i}-01-01", "end": f"{2025 + i}-12-31"} for i in range(4)
]
GROUPS = ["A", "B", "C"]


def reference(spec, results, ledger):
    """Settle tariffs and a guaranteed share line by line in Decimal, as the rules say."""
    period_rank = {name: i for i, name in enumerate(spec.period_names())}
    cohort_rank = {c.name: i for i, c in enumerate(spec.cohorts)}
    drafts = []
    for rank, component in enumerate(spec.components):
        if isinstance(component, Guaranteed):
            periods = spec.period_names()
            guaranteed = component.contract_value * component.share
            parts = allocate_largest_remainder(guaranteed, [Decimal(1)] * len(periods))
            for period, part in zip(periods, parts, strict=True):
                reason = (
                    f"guaranteed {format_percent(component.share)} of the "
                    f"{format_gbp(component.contract_value)} contract value, shared equally over "
                    f"{len(periods)} periods: {format_gbp(part)}"
                )
                order = (period_rank[period], rank, -1, 0, "", 0)
                drafts.append(
                    [order, period, None, component.name, "guaranteed share", part, reason, False]
                )
            continue
        measures = [(component.measure, "", component.price, component.prices)]
        if component.sustainment is not None:
            sus = component.sustainment
            measures.append((sus.measure, "sustainment", sus.price, sus.prices))
        for position, (measure, label, price, prices) in enumerate(measures):
            for seq, ((period, cohort, counted, group), count) in enumerate(results.counts.items()):
                if counted != measure:
                    continue
                unit = price if price is not None else prices[group]
                amount = round_half_up(unit * count)
                who = f"{group}: " if group else ""
                reason = (
                    f"{who}{count:,} {measure.replace('_', ' ')} × {format_gbp(unit)} = "
                    f"{format_gbp(amount)}"
                )
                detail = " ".join(part for part in (group, label) if part)
                rank_of_cohort = -1 if not cohort else cohort_rank.get(cohort, len(cohort_rank))
                order = (period_rank[period], rank, rank_of_cohort, position, group, seq)
                at_risk = component.kind == "outcome"
                drafts.append(
                    [order, period, cohort or None, component.name, detail, amount, reason, at_risk]
                )
    drafts.sort(key=lambda d: d[0])

    def cap(lines, limit, what):
        running = ZERO
        for line in lines:
            if line[5] > 0 and line[5] > limit - running:
                line[5] = max(limit - running, ZERO)
                line[6] += f"; limited by {what} to {format_gbp(line[5])}"
            running += line[5]

    for component in spec.components:
        if isinstance(component, Tariff) and component.cap is not None:
            own = [d for d in drafts if d[3] == component.name]
            cap(
                own,
                round_half_up(component.cap),
                f"the {format_gbp(component.cap)} cap on {component.name}",
            )
    for component in spec.components:
        if isinstance(component, Guaranteed):
            what = (
                f"the {format_gbp(component.at_risk)} at risk "
                f"({format_percent(1 - component.share)} of the contract value)"
            )
            cap([d for d in drafts if d[7]], round_half_up(component.at_risk), what)
    by_key = {}
    for draft in drafts:
        by_key.setdefault((draft[1], draft[2] or "", draft[3]), []).append(draft)
    shares = {}
    for key, paid in ledger.items():
        group = by_key.get(key, [])
        for position, draft in enumerate(group):
            if position == len(group) - 1:
                share = paid
            else:
                share = draft[5] if draft[5] <= paid else max(paid, ZERO)
            shares[id(draft)] = share
            paid -= share

    def line(period, cohort, component, detail, due, share, reason):
        if share == 0:
            return (period, cohort, component, detail, due, ZERO, due, reason)
        paid = round_half_up(share)
        amount = due - paid
        if paid:
            reason += f"; {format_gbp(paid)} already paid, {format_gbp(amount)} payable"
            reason += " (to be recovered)" if amount < 0 else ""
        return (period, cohort, component, detail, due, paid, amount, reason)

    lines = [line(*d[1:6], shares.get(id(d), ZERO), d[6]) for d in drafts]
    orphans = sorted(
        (k for k in ledger if k not in by_key), key=lambda k: (period_rank[k[0]], k[1], k[2])
    )
    lines += [
        line(p, c or None, comp, "", ZERO, ledger[p, c, comp], "nothing is due for this line")
        for p, c, comp in orphans
    ]
    return lines


def exactly(lines):
    """Lines as tuples with amounts as their repr, so ``Decimal('-0.00')`` and ``Decimal('0')``
    differ."""
    fields = ("period", "cohort", "component", "detail", "due", "paid", "amount", "reason")
    rows = [
        line if isinstance(line, tuple) else tuple(getattr(line, f) for f in fields)
        for line in lines
    ]
    return [tuple(repr(v) if isinstance(v, Decimal) else v for v in row) for row in rows]


def spec_for(draw_prices, cap, guaranteed, with_cohorts):
    components = []
    if guaranteed is not None:
        components.append(
            {"type": "guaranteed", "name": "grant", "contract_value": guaranteed, "share": "0.7"}
        )
    components += [
        {"type": "attachment", "name": "attachment", "measure": "starts", "price": draw_prices[0]},
        {
            "type": "outcome",
            "name": "outcome",
            "measure": "job_outcomes",
            "prices": dict(zip(GROUPS, draw_prices[1:4], strict=True)),
            **({"cap": cap} if cap is not None else {}),
            "sustainment": {
                "measure": "sustainment_payments",
                "max_payments": 1000,
                "prices": dict(zip(GROUPS, draw_prices[4:7], strict=True)),
            },
        },
    ]
    return validate_spec(
        {
            "contract": {"name": "Random tariffs"},
            "periods": PERIODS,
            "cohorts": [{"name": f"c{i}"} for i in range(5)] if with_cohorts else [],
            "components": components,
        }
    )


def random_rows(rng, count, with_cohorts):
    cohorts = [f"c{i}" for i in range(5)] if with_cohorts else [f"person {i}" for i in range(800)]
    rows = []
    for _ in range(count):
        kind = rng.choice(["starts", "job_outcomes", "sustainment_payments"])
        rows.append(
            {
                "period": rng.choice(PERIODS)["name"],
                "cohort": rng.choice(["", *cohorts]),
                "measure": kind,
                "group": "" if kind == "starts" else rng.choice(GROUPS),
                "count": str(rng.choice([0, 1, 1, 2, 3, 17, 1234, 10**6])),
            }
        )
    return rows


def random_ledger(rng, lines):
    """Pay some keys in full, some partly, some too much, some to a fraction of a penny."""
    due = {}
    for line in lines:
        key = (line.period, line.cohort or "", line.component)
        due[key] = due.get(key, ZERO) + line.due
    ledger = {}
    for key, amount in due.items():
        choice = rng.random()
        if choice < 0.3:
            continue
        if choice < 0.6:
            ledger[key] = amount
        else:
            ledger[key] = amount * Decimal(rng.choice(["0.5", "1.5", "-1", "0"])) + Decimal(
                rng.choice(["0", "0.001", "-0.004", "0.005", "-0.005", "0.0049"])
            )
    ledger[PERIODS[0]["name"], "nobody", "attachment"] = Decimal(
        rng.choice(["-0.001", "12.345", "0"])
    )
    return ledger


price = st.decimals(min_value=0, max_value=5000, places=3).map(str)


@settings(max_examples=25, deadline=None)
@given(
    prices=st.lists(price, min_size=7, max_size=7),
    cap=st.none() | st.sampled_from(["0", "1000", "250000.5", "100000000"]),
    guaranteed=st.none() | st.sampled_from(["1000", "3000000", "900000000"]),
    with_cohorts=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_settlement_matches_a_line_by_line_reference(prices, cap, guaranteed, with_cohorts, seed):
    """Thousands of lines: same lines (order, amounts, reasons) and totals, paid or not."""
    rng = random.Random(seed)
    spec = spec_for(prices, cap, guaranteed, with_cohorts)
    results = load_results(spec, pl.DataFrame(random_rows(rng, 3000, with_cohorts)))
    unpaid = settle(spec, results)
    assert exactly(unpaid.lines) == exactly(reference(spec, results, {}))
    ledger = random_ledger(rng, unpaid.lines)
    paid = settle(spec, results, paid=ledger)
    expected = reference(spec, results, ledger)
    assert exactly(paid.lines) == exactly(expected)
    assert paid.total_due == sum((line[4] for line in expected), ZERO)
    assert paid.total_paid == sum((line[5] for line in expected), ZERO)
    assert paid.total_payable == sum((line[6] for line in expected), ZERO)


def test_lines_are_a_sequence_equal_to_a_tuple_of_lines():
    spec = spec_for(["400", "1000", "1250", "1500", "150", "175", "200"], "2000", None, False)
    rows = [
        {"period": "Q0", "measure": "job_outcomes", "group": "A", "count": "1"},
        {"period": "Q0", "measure": "job_outcomes", "group": "B", "count": "1"},
        {"period": "Q1", "measure": "starts", "count": "3"},
    ]
    lines = settle(spec, rows).lines
    assert isinstance(lines, SettlementLines)
    assert len(lines) == 3 and lines[-1] == lines[2] and lines[1:] == (lines[1], lines[2])
    assert lines == tuple(lines) and tuple(lines) == lines
    assert [line.amount for line in lines] == [
        Decimal("1000.00"),
        Decimal("1000.00"),
        Decimal("1200.00"),
    ]
    assert lines[1].reason == (
        "B: 1 job outcomes × £1,250.00 = £1,250.00; "
        "limited by the £2,000.00 cap on outcome to £1,000.00"
    )
    with pytest.raises(IndexError):
        lines[3]


def test_payments_are_added_up_exactly_whatever_their_form():
    """1e3 + 1_000.5 + £1,000.005 + -0.005 = 3,000.5 exactly (units of 0.001: scale 3)."""
    spec = spec_for(["400", "1", "1", "1", "1", "1", "1"], None, None, False)
    rows = [
        {"period": "Q0", "cohort": "", "component": "attachment", "amount": amount}
        for amount in ["1e3", "1_000.5", "£1,000.005", "-0.005"]
    ]
    table, scale = paid_table(spec, rows)
    assert (scale, table["paid"].to_list()) == (3, [3_000_500])
    assert load_paid(spec, rows) == {("Q0", "", "attachment"): Decimal("3000.500")}


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "12..5", "1" * 40])
def test_a_payment_that_is_not_a_finite_amount_is_refused(amount):
    spec = spec_for(["400", "1", "1", "1", "1", "1", "1"], None, None, False)
    with pytest.raises(FullvalueError) as caught:
        paid_table(
            spec, [{"period": "Q0", "cohort": "", "component": "attachment", "amount": amount}]
        )
    assert "row 2, column amount" in str(caught.value.problems[0].location)
