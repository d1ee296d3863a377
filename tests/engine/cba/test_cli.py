"""``fullvalue cba``: the example case, the JSON keys, and impossible input refused by field."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fullvalue.cli import main

EXAMPLE = Path(__file__).parents[3] / "examples" / "community-budget" / "case.toml"

GOOD = """
name = "Small case"
discount_rate = 0.035
years = 2

[[costs]]
agency = "Council"
amounts = [1000, 500]

[[outcomes]]
name = "Family housed"
agency = "Council"
cashable = true
fiscal = 800
economic = 0
social = 200
deadweight = 0.25
optimism_bias = 0.2
numbers = [1, 2]
"""


def run(tmp_path, text, *args):
    path = tmp_path / "case.toml"
    path.write_text(text, encoding="utf-8")
    return main(["cba", str(path), *args])


def test_example_pays_back_in_year_4_for_the_council_but_never_for_the_pcc(capsys):
    assert main(["cba", str(EXAMPLE), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    paybacks = {a["agency"]: a["payback_years"] for a in data["by_agency"]}
    assert paybacks["Anytown Council"] == 4
    assert paybacks["Anytown Police and Crime Commissioner"] is None
    agencies = {a["agency"] for a in data["by_agency"]}
    assert {
        "Anytown Police and Crime Commissioner",
        "Probation Service, Anytown region",
        "Anytown Council",
        "Anytown Integrated Care Board",
    } <= agencies


def test_json_has_the_documented_keys_and_money_to_the_penny(tmp_path, capsys):
    assert run(tmp_path, GOOD, "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    money = ("pv_costs", "pv_fiscal", "pv_economic", "pv_social", "fiscal_npv", "public_value_npv")
    for key in (*money, "fiscal_roi", "public_value_roi", "payback_years", "by_agency"):
        assert key in data
    # costs 1000 + 500/1.035 = 1483.09; fiscal 480 + 960/1.035 = 1407.54 (800 × 0.75 × 0.8 = 480)
    assert data["pv_costs"] == "1483.09"
    assert data["pv_fiscal"] == "1407.54"
    assert data["pv_social"] == "351.88"  # a quarter of the fiscal: 351.884
    assert data["payback_years"] is None
    assert {"agency", "pv_costs", "pv_fiscal_benefits", "pv_cashable_benefits"} <= set(
        data["by_agency"][0]
    )
    assert "sensitivity" not in data


def test_sensitivity_is_added_under_its_own_key(tmp_path, capsys):
    assert run(tmp_path, GOOD, "--format", "json", "--sensitivity") == 0
    data = json.loads(capsys.readouterr().out)
    moved = {s["assumption"]: s for s in data["sensitivity"]}
    assert set(moved) == {
        "deadweight +0.1",
        "deadweight -0.1",
        "outcomes -25%",
        "optimism bias +0.1",
    }
    assert float(moved["outcomes -25%"]["fiscal_roi"]) < float(data["fiscal_roi"])
    assert moved["outcomes -25%"]["pv_costs"] == data["pv_costs"]


def test_table_names_who_pays_and_who_benefits(capsys):
    assert main(["cba", str(EXAMPLE), "--sensitivity"]) == 0
    out = capsys.readouterr().out
    assert "Anytown Council" in out
    assert "year 4" in out
    assert "outcomes -25%" in out


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("deadweight = 0.25", "deadweight = 1.25", "outcomes[0].deadweight"),
        ("optimism_bias = 0.2", "optimism_bias = -0.1", "outcomes[0].optimism_bias"),
        ("discount_rate = 0.035", "discount_rate = 3.5", "discount_rate"),
        ("amounts = [1000, 500]", "amounts = [1000, 500, 250]", "costs[0].amounts"),
        ("numbers = [1, 2]", "numbers = [1]", "outcomes[0].numbers"),
        ("economic = 0\n", "", "outcomes[0].economic"),
        ("numbers = [1, 2]", "numbers = [1, -2]", "outcomes[0].numbers[year 2]"),
        ("amounts = [1000, 500]", "amounts = [1000, -500]", "costs[0].amounts[year 2]"),
        ("years = 2", "years = 0", "years"),
        ('agency = "Council"\namounts', "amounts", "costs[0].agency"),
        ("cashable = true", 'cashable = "yes"', "outcomes[0].cashable"),
        ("fiscal = 800", 'fiscal = "lots"', "outcomes[0].fiscal"),
        ("deadweight = 0.25", "deadweight = 0.25\ndeadwieght = 0.5", "outcomes[0].deadwieght"),
        ("years = 2", "years = 2\ndiscount = 0.1", "discount"),
    ],
)
def test_impossible_input_exits_2_naming_the_field(tmp_path, capsys, old, new, field):
    assert old in GOOD
    assert run(tmp_path, GOOD.replace(old, new, 1)) == 2
    err = capsys.readouterr().err
    assert f"{field}: " in err
    assert "Traceback" not in err


def test_every_problem_is_listed_at_once(tmp_path, capsys):
    text = GOOD.replace("deadweight = 0.25", "deadweight = 2").replace(
        "numbers = [1, 2]", "numbers = [1, 2, 3]"
    )
    assert run(tmp_path, text) == 2
    err = capsys.readouterr().err
    assert "outcomes[0].deadweight" in err
    assert "outcomes[0].numbers" in err


def test_bad_toml_and_missing_file_exit_2(tmp_path, capsys):
    assert run(tmp_path, "name = ") == 2
    assert main(["cba", str(tmp_path / "nowhere.toml")]) == 2
    err = capsys.readouterr().err
    assert "not valid TOML" in err
    assert "nowhere.toml" in err


def test_cba_imports_no_heavy_module():
    code = (
        "import sys\n"
        "from fullvalue.cli import main\n"
        f"main(['cba', {str(EXAMPLE)!r}, '--format', 'json'])\n"
        "heavy = ('numpy', 'scipy', 'polars', 'django', 'fullvalue.engine.payments')\n"
        "print(','.join(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip() == ""
