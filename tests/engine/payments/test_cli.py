import csv
import io
import json

import pytest

from fullvalue.engine.payments.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_settle_json(capsys, examples):
    folder = examples / "peterborough"
    code, out, _ = run(
        capsys, "settle", folder / "contract.toml", folder / "results.csv", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["total_payable"] == "6075000.00"
    first = data["lines"][0]
    assert {k: first[k] for k in ("period", "cohort", "component", "amount")} == {
        "period": "2014-15",
        "cohort": "1",
        "component": "reconviction events",
        "amount": "0.00",
    }
    assert first["reason"].startswith("cohort 1: reduction 8.4% is below the 10% cohort hurdle")


def test_settle_csv_can_be_fed_back_as_paid(capsys, examples, tmp_path):
    folder = examples / "work-programme"
    code, out, _ = run(
        capsys, "settle", folder / "contract.toml", folder / "results.csv", "--format", "csv"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 14
    paid = tmp_path / "paid.csv"
    paid.write_text(out, encoding="utf-8")
    code, out, _ = run(
        capsys,
        "settle",
        folder / "contract.toml",
        folder / "results.csv",
        "--paid",
        paid,
        "--format",
        "json",
    )
    assert json.loads(out)["total_payable"] == "0.00"


def test_settle_table(capsys, examples):
    folder = examples / "transforming-rehabilitation"
    code, out, _ = run(
        capsys,
        "settle",
        folder / "contract.toml",
        folder / "results.csv",
        "--paid",
        folder / "paid.csv",
    )
    assert code == 0
    assert "total payable" in out and "£10,530,800.00" in out
    assert "Supply chain" in out


def test_bad_spec_exits_2_listing_every_problem(capsys, tmp_path, examples):
    spec = tmp_path / "contract.toml"
    spec.write_text(
        "[contract]\nname='x'\n[[periods]]\nname='A'\nstart=2025-01-01\nend=2025-12-31\n"
        "[[periods]]\nname='B'\nstart=2025-06-01\nend=2026-05-31\n"
        "[[components]]\ntype='outcome'\nname='o'\nmeasure='m'\nprice=-1\n"
        "[[components]]\ntype='reoffending'\nname='r'\noverall_hurdle=7.5\nprice_per_unit=1\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "settle", spec, examples / "peterborough" / "results.csv")
    assert code == 2
    assert out == ""
    assert "periods[1]" in err
    assert "components[0].price" in err
    assert "components[1].overall_hurdle" in err


def test_results_for_unknown_cohorts_exit_2(capsys, tmp_path, examples):
    results = tmp_path / "results.csv"
    results.write_text(
        "period,cohort,measure,count,treated,comparison\n2014-15,9,reconviction_frequency,10,1,2\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "settle", examples / "peterborough" / "contract.toml", results)
    assert code == 2
    assert "row 2, column cohort: '9' is not one of the contract's cohorts" in err


def test_power_json(capsys):
    code, out, _ = run(
        capsys, "power", "--baseline-rate", "0.475", "--cohort-size", "1000", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["minimum_detectable_effect"] == pytest.approx(0.0393, abs=0.0005)


def test_power_table_with_true_effect(capsys):
    code, out, _ = run(
        capsys, "power", "--baseline-rate", "0.43", "--cohort-size", "150", "--true-effect", "0.04"
    )
    assert code == 0
    assert "minimum detectable effect   10.1 percentage points" in out
    assert "probability of payment" in out


def test_power_rejects_bad_rates(capsys):
    code, _, err = run(capsys, "power", "--baseline-rate", "47.5", "--cohort-size", "0")
    assert code == 2
    assert "baseline_rate" in err and "cohort_size" in err


def test_registers_with_the_main_dispatcher():
    import argparse

    from fullvalue.engine.payments.cli import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["power", "--baseline-rate", "0.5", "--cohort-size", "100"])
    assert callable(args.handler)


def csv_line_by_line(settlement) -> str:
    """The CSV as the csv module writes it from each line's as_dict (the reference)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = ["period", "cohort", "component", "detail", "amount", "due", "paid", "reason"]
    writer.writerow(columns)
    for line in settlement.lines:
        data = line.as_dict()
        writer.writerow(["" if data[k] is None else data[k] for k in columns])
    return buffer.getvalue().rstrip("\n")


@pytest.mark.parametrize("with_paid", [False, True])
def test_csv_and_json_by_columns_match_line_by_line(examples, monkeypatch, with_paid):
    """Written a column at a time, the text is what the lines give one by one.

    The Work Programme example (fee lines made in Python, tariff lines from the table, a
    sustainment group) settled unpaid and with half the lines paid, and a thousand results
    with pseudonyms in the cohort column of a contract that lists no cohorts, capped.
    """
    from fullvalue.engine.payments import cli, load_spec, settle

    folder = examples / "work-programme"
    spec = load_spec(folder / "contract.toml")
    settlement = settle(spec, folder / "results.csv")
    if with_paid:
        ledger = {
            (line.period, line.cohort or "", line.component): line.due
            for line in list(settlement.lines)[::2]
        }
        settlement = settle(spec, folder / "results.csv", paid=ledger)
    monkeypatch.setattr(cli, "JSON_BY_COLUMNS", 3)
    assert cli.render_settlement(settlement, "csv") == csv_line_by_line(settlement)
    assert json.loads(cli.render_settlement(settlement, "json")) == settlement.as_dict()
    out = io.BytesIO()
    cli.settlement_csv(settlement, out)
    assert out.getvalue().decode().rstrip("\n") == csv_line_by_line(settlement)
    out = io.BytesIO()
    cli.settlement_json(settlement, out)
    assert json.loads(out.getvalue()) == settlement.as_dict()


def test_a_thousand_pseudonymous_lines_capped(tmp_path):
    import hashlib
    import random

    from fullvalue.engine.payments import cli, settle, validate_spec

    spec = validate_spec(
        {
            "contract": {"name": "Tariff with a cap"},
            "periods": [
                {
                    "name": f"Q{q}",
                    "start": f"2025-{3 * q - 2:02d}-01",
                    "end": f"2025-{3 * q:02d}-28",
                }
                for q in range(1, 5)
            ],
            "components": [
                {"type": "attachment", "name": "attachment", "price": 400},
                {
                    "type": "outcome",
                    "name": "outcome",
                    "measure": "outcomes",
                    "price": "1250.50",
                    "cap": 300000,
                },
            ],
        }
    )
    rng = random.Random(5)
    rows = [
        {
            "period": f"Q{rng.randint(1, 4)}",
            "cohort": hashlib.sha256(str(i).encode()).hexdigest(),
            "measure": rng.choice(["starts", "outcomes"]),
            "count": str(rng.randint(1, 4)),
        }
        for i in range(1000)
    ]
    settlement = settle(spec, rows)
    assert any("limited by" in line.reason for line in settlement.lines)
    assert cli.render_settlement(settlement, "csv") == csv_line_by_line(settlement)
    assert json.loads(cli.render_settlement(settlement, "json")) == settlement.as_dict()
