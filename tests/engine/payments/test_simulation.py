import json

import numpy as np
import pytest

from fullvalue.engine.payments.cli import main
from fullvalue.engine.payments.power import probability_of_payment
from fullvalue.engine.payments.simulation import simulate
from fullvalue.engine.payments.spec import load_spec, validate_spec
from fullvalue.errors import FullvalueError

PERIOD = [{"name": "Y1", "start": "2025-04-01", "end": "2026-03-31"}]


def one_cohort(effect, size, rate, **reoffending):
    return validate_spec(
        {
            "contract": {"name": f"{size} people"},
            "periods": PERIOD,
            "components": [
                {
                    "type": "reoffending",
                    "name": "r",
                    "cohort_hurdle": 0,
                    "require_significance": True,
                    "price_per_unit": 100,
                    **reoffending,
                }
            ],
            "simulation": {"cohort_size": size, "baseline_rate": rate, "effect_mean": effect},
        }
    )


def test_same_seed_same_result_other_seed_other_result(examples):
    spec = load_spec(examples / "transforming-rehabilitation" / "contract.toml")
    a = simulate(spec, runs=2000, seed=7)
    b = simulate(spec, runs=2000, seed=7)
    c = simulate(spec, runs=2000, seed=8)
    assert np.array_equal(a.net, b.net) and np.array_equal(a.cash, b.cash)
    assert not np.array_equal(a.net, c.net)
    assert a.summary() == b.summary()


@pytest.mark.parametrize(("size", "rate", "effect"), [(1000, 0.475, 0.0393), (150, 0.43, 0.04)])
def test_probability_of_payment_agrees_with_the_power_formula(size, rate, effect):
    """At the SMF figures (1,000 at 47.5%, a 3.93-point effect) the formula gives 80%; for 150
    women at 43% with a 4-point effect, 25.6%. The simulation (binomial draws, cohort sizes
    varying as Poisson) must agree within 2.5 points."""
    result = simulate(one_cohort(effect, size, rate), runs=20_000, seed=1)
    expected = probability_of_payment(rate, size, effect)
    assert result.probability_of_reoffending_payment == pytest.approx(expected, abs=0.025)


def test_womens_centre_mechanisms_side_by_side(examples):
    """Same service, three mechanisms: the grant never loses; 70/30 blended rarely loses; 100%
    payment by results loses in most runs and needs working capital."""
    folder = examples / "womens-centre"
    blended = simulate(load_spec(folder / "contract.toml"), runs=5000, seed=3)
    pbr = simulate(load_spec(folder / "mechanisms" / "pbr-100.toml"), runs=5000, seed=3)
    grant = simulate(load_spec(folder / "mechanisms" / "grant.toml"), runs=5000, seed=3)
    assert grant.probability_of_loss == 0
    assert np.all(grant.income == 360000)
    assert blended.probability_of_loss < 0.05
    assert pbr.probability_of_loss > 0.5
    assert pbr.percentiles(pbr.working_capital)["p50"] > 100000
    assert blended.percentiles(blended.working_capital)["p50"] == 0
    # the blended contract never pays more than its value: 70% guaranteed + 30% at risk
    assert blended.income.max() <= 450000 + 1e-6


def test_volume_shortfall_cuts_fee_income(examples):
    """TR: fees of £5m a quarter are clawed back at £1,200 a case below 2,250 starts; with 25%
    fewer people (and 52% starting) volumes fall well below the band, so income falls."""
    spec = load_spec(examples / "transforming-rehabilitation" / "contract.toml")
    result = simulate(spec, runs=2000, seed=5)
    assert float(result.percentiles(result.income)["p50"]) < 4 * 5_000_000 + 4 * 250_000


def test_working_capital_peaks_before_payment(examples):
    """Peterborough: costs each year, payment only after the final result: the cash position is
    lowest in the last contract year, just before the outcome payment arrives."""
    spec = load_spec(examples / "peterborough" / "contract.toml")
    result = simulate(spec, runs=2000, seed=11)
    assert result.peak_period == "2017-18"
    assert float(result.percentiles(result.working_capital)["p50"]) > 0


def test_a_contract_without_assumptions_cannot_be_simulated():
    spec = validate_spec(
        {
            "contract": {"name": "x"},
            "periods": PERIOD,
            "components": [{"type": "outcome", "name": "o", "measure": "jobs", "price": 1}],
        }
    )
    with pytest.raises(FullvalueError) as caught:
        simulate(spec, runs=10)
    assert caught.value.problems[0].location == "simulation"


def test_outcome_tariffs_need_a_rate():
    spec = validate_spec(
        {
            "contract": {"name": "x"},
            "periods": PERIOD,
            "components": [{"type": "outcome", "name": "o", "measure": "jobs", "price": 1}],
            "simulation": {"cohort_size": 10, "baseline_rate": 0.5},
        }
    )
    with pytest.raises(FullvalueError) as caught:
        simulate(spec, runs=10)
    assert caught.value.problems[0].location == "simulation.outcome_rates.jobs"


def test_cli_compare_with_charts(capsys, examples, tmp_path):
    folder = examples / "womens-centre"
    for suffix in (".png", ".svg"):
        chart = tmp_path / f"chart{suffix}"
        code = main(
            [
                "simulate",
                str(folder / "contract.toml"),
                "--compare",
                str(folder / "mechanisms" / "pbr-100.toml"),
                str(folder / "mechanisms" / "grant.toml"),
                "--runs",
                "500",
                "--plot",
                str(chart),
            ]
        )
        out = capsys.readouterr().out
        assert code == 0
        assert "probability of a loss" in out and "(grant)" in out
        assert chart.stat().st_size > 1000
    assert (tmp_path / "chart.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_json_and_bad_plot_name(capsys, examples, tmp_path):
    contract = examples / "peterborough" / "contract.toml"
    assert main(["simulate", str(contract), "--runs", "300", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {
        "income",
        "net_position",
        "probability_of_outcome_payment",
        "probability_of_loss",
        "peak_working_capital",
        "peak_working_capital_period",
    }
    assert set(data["income"]) == {"p5", "p50", "p95"}
    code = main(["simulate", str(contract), "--runs", "10", "--plot", str(tmp_path / "x.pdf")])
    assert code == 2
    assert ".png or .svg" in capsys.readouterr().err
    assert main(["simulate", str(contract), "--runs", "0"]) == 2
