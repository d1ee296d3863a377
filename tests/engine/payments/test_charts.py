import pytest

from fullvalue.engine.payments.charts import plot_simulations
from fullvalue.engine.payments.simulation import simulate
from fullvalue.engine.payments.spec import load_spec
from fullvalue.errors import FullvalueError


@pytest.fixture(scope="module")
def result():
    from pathlib import Path

    examples = Path(__file__).resolve().parents[3] / "examples"
    return simulate(load_spec(examples / "peterborough" / "contract.toml"), runs=300, seed=2)


@pytest.mark.parametrize("suffix", [".png", ".svg", ".SVG"])
def test_writes_png_and_svg(tmp_path, result, suffix):
    path = plot_simulations([result], tmp_path / f"chart{suffix}")
    assert path.stat().st_size > 1000


def test_refuses_other_formats_and_unwritable_paths(tmp_path, result):
    with pytest.raises(FullvalueError, match="cannot be written"):
        plot_simulations([result], tmp_path / "chart.pdf")
    with pytest.raises(FullvalueError, match="cannot be written"):
        plot_simulations([result], tmp_path / "missing" / "chart.png")
