"""``fullvalue market``: the rules of issue 21, packages read streaming, the command line."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from fullvalue.cli import main
from fullvalue.engine.market.io import compiled_processes
from fullvalue.engine.market.summary import split_evenly, summarise


@given(
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=12),
)
def test_a_consortium_split_adds_up_to_the_award_and_differs_by_at_most_a_penny(amount, parts):
    shares = split_evenly(amount, parts)
    assert sum(shares) == amount and len(shares) == parts
    assert max(shares) - min(shares) <= Decimal("0.01")


def party(pid, *, vcse=None, scale=None, scheme="GB-COH"):
    details = {k: v for k, v in {"vcse": vcse, "scale": scale}.items() if v is not None}
    return {"id": pid, "name": pid, "identifier": {"scheme": scheme, "id": pid}, "details": details}


def award(aid, amount, suppliers, status="active", currency="GBP", date="2025-06-01T00:00:00Z"):
    return {
        "id": aid,
        "status": status,
        "date": date,
        "value": {"amount": amount, "currency": currency},
        "suppliers": [{"id": s} for s in suppliers],
    }


def release(ocid, rid, date, awards, parties, buyer="B1"):
    return {
        "ocid": ocid,
        "id": rid,
        "date": date,
        "tag": ["award"],
        "buyer": {"id": buyer, "name": f"Buyer {buyer}"},
        "parties": parties,
        "awards": awards,
    }


PARTIES = [
    party("CHARITY", scheme="GB-CHC"),  # on a charity register: VCSE without the flag
    party("SMALL", scale="small"),
    party("BIG", scale="large"),
    party("FLAGGED", vcse=True, scale="micro"),
]


def test_the_rules_of_issue_21():
    releases = [
        release("ocds-1", "1", "2025-06-01T00:00:00Z",
                [award("a", 300, ["CHARITY", "SMALL", "BIG"])], PARTIES),
        release("ocds-2", "1", "2025-07-01T00:00:00Z",
                [award("a", 100, ["FLAGGED"]), award("b", 999, ["BIG"], status="pending"),
                 award("c", 50, ["BIG"], currency="EUR")], PARTIES, buyer="B2"),
    ]  # fmt: skip
    out = summarise(releases)
    total = out["total"]
    assert total["awards"] == 2  # the pending award and the euro award are not counted
    assert (total["value"], total["vcse_value"], total["sme_value"]) == (
        "400.00",
        "200.00",
        "200.00",
    )
    assert total["other_currencies"] == {"EUR": "50.00"}
    # supplier shares: 100 each of 400 for CHARITY, SMALL, BIG, FLAGGED: 4 x 25^2
    assert total["hhi"] == 2500.0 and total["top5_share"] == 1.0
    assert [(b["buyer"], b["value"]) for b in out["buyers"]] == [("B1", "300.00"), ("B2", "100.00")]
    by_year = summarise(releases, by="year")
    assert [(y["year"], y["awards"]) for y in by_year["years"]] == [("2025", 2)]


def test_releases_are_compiled_before_counting_and_record_packages_are_read(tmp_path):
    pending = release("ocds-9", "1", "2025-01-01T00:00:00Z",
                      [award("a", 500, ["BIG"], status="pending")], PARTIES)  # fmt: skip
    active = release("ocds-9", "2", "2025-02-01T00:00:00Z",
                     [{"id": "a", "status": "active"}], [])  # fmt: skip
    path = tmp_path / "releases.json"
    path.write_text(json.dumps({"uri": "x", "releases": [active, pending]}))
    [compiled] = list(compiled_processes([path]))
    assert compiled["awards"][0]["status"] == "active"  # the later release wins
    assert summarise([compiled])["total"]["value"] == "500.00"
    records = tmp_path / "records.json"
    records.write_text(json.dumps({"records": [{"ocid": "ocds-9", "compiledRecord": compiled}]}))
    assert summarise(compiled_processes([records]))["total"]["value"] == "500.00"


def test_the_command_line(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"releases": [release(
        "ocds-1", "1", "2025-06-01T00:00:00Z", [award("a", 300, ["CHARITY", "SMALL", "BIG"])],
        PARTIES)]}))  # fmt: skip
    assert main(["market", str(path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"total", "buyers"}
    assert set(data["buyers"][0]) >= {
        "buyer", "awards", "value", "vcse_value", "vcse_share", "sme_value", "sme_share",
        "hhi", "top5_share", "other_currencies",
    }  # fmt: skip
    assert data["total"]["vcse_share"] == round(100 / 300, 4)
    assert main(["market", str(path), "--by", "year", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("year,awards,value")
    not_ocds = tmp_path / "people.json"
    not_ocds.write_text(json.dumps({"people": []}))
    assert main(["market", str(not_ocds)]) == 2
    assert "not an OCDS release or record package" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text('{"releases": [{"ocid": ')
    assert main(["market", str(broken)]) == 2
