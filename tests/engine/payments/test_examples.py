"""Every example folder settles to the total documented in docs/payments.md."""

from decimal import Decimal

import pytest

from fullvalue.engine.payments import load_spec, settle


def settle_example(examples, name, with_paid=True):
    folder = examples / name
    paid = folder / "paid.csv"
    return settle(
        load_spec(folder / "contract.toml"),
        folder / "results.csv",
        paid=paid if with_paid and paid.exists() else None,
    )


def line(settlement, period, component, cohort=None, detail=None):
    found = [
        item
        for item in settlement.lines
        if item.period == period
        and item.component == component
        and (cohort is None or item.cohort == cohort)
        and (detail is None or item.detail == detail)
    ]
    assert len(found) == 1, found
    return found[0]


def test_peterborough(examples):
    """Cohort 1: 1.42 vs 1.55 reconviction events per person: (1.55 - 1.42) / 1.55 = 8.4% < 10%,
    no payment. Cohort 2: (1.45 - 1.31) / 1.45 = 9.7% < 10%, no payment. All cohorts:
    1.365 vs 1.50, (1.50 - 1.365) / 1.50 = 9.0% ≥ 7.5%: (1.50 - 1.365) × 2,000 = 270 events
    avoided × £22,500 = £6,075,000.00 (under the £8m cap)."""
    s = settle_example(examples, "peterborough")
    first = line(s, "2014-15", "reconviction events", cohort="1")
    assert first.amount == Decimal("0.00")
    assert "cohort 1: reduction 8.4% is below the 10% cohort hurdle: £0.00" in first.reason
    final = line(s, "2017-18", "reconviction events", cohort="all")
    assert "reduction 9.0% meets the 7.5% overall hurdle" in final.reason
    assert final.amount == Decimal("6075000.00")
    assert s.total_payable == Decimal("6075000.00")


def test_transforming_rehabilitation(examples):
    """Fees 4 × £5,000,000 = £20,000,000; volume Q2 2,000 < 2,250: -250 × £1,200 = -£300,000;
    Q3 2,900 > 2,750: +150 × £1,200 = £180,000; foundation 4 × £250,000 = £1,000,000;
    binary 2015-Q2: 45.4% vs 47.5% (p = 0.0012): 0.021 × 4,800 = 100.8 × £2,000 = £201,600;
    frequency 2015-Q2: 4.7 vs 4.2 per reoffender, worse and significant: -0.5 × 2,179 = -1,089.5
    × £400 = -£435,800, capped at -£250,000; half the binary payment, £100,800, recovers
    foundation. Due: 20,000,000 - 300,000 + 180,000 + 1,000,000 + 201,600 - 250,000 - 100,800 =
    £20,730,800.00; already paid Q1 and Q2 £10,200,000; payable £10,530,800.00."""
    s = settle_example(examples, "transforming-rehabilitation")
    assert s.total_due == Decimal("20730800.00")
    assert s.total_paid == Decimal("10200000.00")
    assert s.total_payable == Decimal("10530800.00")
    assert line(s, "2016-Q2", "core fee", detail="volume reconciliation").due == Decimal(
        "-300000.00"
    )
    assert line(s, "2016-Q3", "binary").amount == Decimal("201600.00")
    frequency = line(s, "2016-Q3", "frequency")
    assert frequency.amount == Decimal("-250000.00")
    assert "reoffending rose by 11.9%" in frequency.reason
    assert line(s, "2016-Q3", "foundation payment", detail="recovered from binary").amount == (
        Decimal("-100800.00")
    )
    assert line(s, "2016-Q4", "binary").amount == Decimal("0.00")
    assert s.allocation is not None
    assert s.allocation.management_fee == Decimal("50000.00")
    assert sum(s.allocation.parts.values()) == Decimal("10480800.00")


def test_work_programme(examples):
    """Attachment (850 + 790) × £400 = £656,000. Job outcomes Q2: 60 × £1,200 + 45 × £1,200 +
    4 × £3,500 = £140,000; Q3: 72 × £1,200 + 51 × £1,200 + 6 × £3,500 = £168,600.
    Sustainment Q2: 150 × £210 + 120 × £280 + 6 × £385 = £67,410; Q3: 310 × £210 + 260 × £280 +
    20 × £385 = £145,600. Total £1,177,610.00."""
    s = settle_example(examples, "work-programme")
    assert s.total_payable == Decimal("1177610.00")
    esa = line(s, "2012-Q2", "job outcome", detail="ESA ex-IB")
    assert esa.reason == "ESA ex-IB: 4 job outcomes × £3,500.00 = £14,000.00"
    assert line(s, "2012-Q3", "job outcome", detail="JSA 25+ sustainment").amount == Decimal(
        "72800.00"
    )


def test_troubled_families(examples):
    """40/60 of £4,000: attachment (310 + 260 + 80) × £1,600 = £1,040,000; results
    (120 + 250) × £1,800 = £666,000 and (18 + 41) × £600 = £35,400; due £1,741,400.00; the
    2012-13 attachment (£496,000) was paid; payable £1,245,400.00."""
    s = settle_example(examples, "troubled-families")
    assert s.total_due == Decimal("1741400.00")
    assert s.total_payable == Decimal("1245400.00")
    assert line(s, "2012-13", "attachment fee").amount == Decimal("0.00")


def test_womens_centre(examples):
    """70% of £450,000 = £315,000 guaranteed, £105,000 a year. Cohort 2025: 31% vs 43% of 150
    (p = 0.012): reduction 27.9% ≥ 10%, 0.12 × 150 = 18 × £3,000 = £54,000, capped at £45,000.
    Cohort 2026: 72 women < 100, grant in lieu £20,000. Cohort 2027: 38% vs 42%, 9.5% < 10%: £0.
    Accommodation (40 + 35 + 45) × £250 = £30,000. Total £410,000.00 (at-risk payments £75,000,
    under the £135,000 cap)."""
    s = settle_example(examples, "womens-centre")
    assert s.total_payable == Decimal("410000.00")
    assert line(s, "2025-26", "reoffending").amount == Decimal("45000.00")
    assert "below the minimum cohort size of 100" in line(s, "2026-27", "reoffending").reason
    assert line(s, "2027-28", "reoffending").amount == Decimal("0.00")


@pytest.mark.parametrize(
    "name",
    [
        "peterborough",
        "transforming-rehabilitation",
        "work-programme",
        "troubled-families",
        "womens-centre",
    ],
)
def test_settling_again_with_everything_paid_pays_nothing(examples, name):
    first = settle_example(examples, name, with_paid=False)
    ledger = {}
    for item in first.lines:
        key = (item.period, item.cohort or "", item.component)
        ledger[key] = ledger.get(key, Decimal(0)) + item.amount
    folder = examples / name
    again = settle(load_spec(folder / "contract.toml"), folder / "results.csv", paid=ledger)
    assert again.total_payable == Decimal("0.00")
