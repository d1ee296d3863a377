"""The payment mechanism designer, the risk preview with the programme's figures, and its API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from fullvalue.engine.payments import parse_spec
from fullvalue.web.accounts.models import Membership
from fullvalue.web.programmes import designer
from fullvalue.web.programmes.models import Programme
from fullvalue.web.programmes.risk import Figures, Provider
from fullvalue.web.programmes.services import risk_preview

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SMALL = designer.Programme(Decimal(600000), 3, dt.date(2027, 4, 1), 60, 80, 100, "Small")


@pytest.mark.parametrize("name", list(designer.STARTING_POINTS))
def test_every_starting_point_builds_a_valid_spec_with_the_programmes_figures(name):
    spec = parse_spec(
        designer.to_toml(designer.build_spec(designer.starting_point(name, SMALL), SMALL))
    )
    assert spec.period_names() == ["2027-28", "2028-29", "2029-30"]
    assert spec.periods[0].start == dt.date(2027, 4, 1)
    assert spec.simulation is not None and spec.simulation.cohort_size == 80
    assert [c.expected_size for c in spec.cohorts] == [80, 80, 80]


def test_blended_start_guarantees_70_percent_of_the_budget():
    spec = parse_spec(
        designer.to_toml(designer.build_spec(designer.starting_point("blended", SMALL), SMALL))
    )
    guaranteed = spec.component("guaranteed share")
    assert guaranteed.contract_value == Decimal(600000) and guaranteed.share == Decimal("0.7")


def test_design_errors_are_plain_and_name_their_field():
    values = designer.design_values(designer.starting_point("blended", SMALL))
    values.update(reoffending_price="", reoffending_overall_hurdle="20", small_cohort_size="x")
    _, problems = designer.parse_design(values)
    by_field = {p.column: p.reason for p in problems}
    assert "payment for each person fewer reoffending" in by_field["reoffending_price"]
    assert "cannot be larger" in by_field["reoffending_overall_hurdle"]
    cohort = [p.reason for p in problems if p.column == "small_cohort_size"]
    assert cohort[0].startswith("Smallest cohort paid on reoffending results: enter a whole")
    assert not any("components[" in p.reason for p in problems)


def test_rule_outcomes_match_payments_names_both_ways():
    problem = designer.rule_outcomes_match_payments(
        {"accommodation-settled"},
        {"proven-reoffending-binary"},
        {"accommodation-settled": "Settled accommodation", "proven-reoffending-binary": "Rb"},
    )
    assert problem is not None and problem.column == "outcomes"
    assert "no payment for Settled accommodation" in problem.reason
    assert "a payment for Rb, which is not ticked" in problem.reason
    assert designer.rule_outcomes_match_payments({"a"}, {"a"}, {}) is None


def _preview(budget="600000", years=3, low=60, expected=80, high=100, reserves=50000):
    figures = Figures(Decimal(budget), years, dt.date(2027, 4, 1), low, expected, high)
    toml = (EXAMPLES / "transforming-rehabilitation" / "contract.toml").read_text()
    return risk_preview(toml, figures, Provider(Decimal(reserves)), runs=1000)


def test_risk_preview_changes_with_budget_volumes_and_years(db):
    base = _preview()
    richer = _preview(budget="9000000")
    assert base.income_p50 < Decimal(700000) < Decimal(8000000) < richer.income_p50
    assert richer.cash_bands[-1].p50 > base.cash_bands[-1].p50 * 5
    fewer = _preview(low=20, expected=40, high=100)
    assert fewer.income_p5 != base.income_p5
    longer = _preview(years=5)
    assert longer.periods[:5] == ("2027-28", "2028-29", "2029-30", "2030-31", "2031-32")
    assert len(longer.periods) == len(base.periods) + 2
    assert "+" not in "".join(longer.periods)


def test_risk_preview_says_what_a_small_provider_faces(db):
    figures = Figures(Decimal(600000), 3, dt.date(2027, 4, 1), 60, 80, 100)
    toml = designer.to_toml(designer.build_spec(designer.starting_point("pbr", SMALL), SMALL))
    preview = risk_preview(toml, figures, Provider(Decimal(50000)), scale_to_budget=False)
    assert preview.probability_cash_runs_out > 0.5
    assert preview.sentence.startswith("A provider with £50,000 in reserves runs out of cash in ")
    assert preview.sentence.endswith(f"most often in {preview.cash_runs_out_period}.")
    rich = risk_preview(toml, figures, Provider(Decimal(5_000_000)), scale_to_budget=False)
    assert rich.probability_cash_runs_out < preview.probability_cash_runs_out


# --- pages -------------------------------------------------------------------------------------


def _commissioner(signed_in, world):
    return signed_in(Membership.objects.get(id=world["commissioner"].membership_id))


def _form(**changes):
    data = {
        "title": "Women's centre",
        "summary": "A women's centre.",
        "cohort": "Women on licence",
        "volume_low": "60",
        "volume_expected": "80",
        "volume_high": "100",
        "budget": "600,000",
        "years": "3",
        "starts_on": "2027-04-01",
        "delivery_setting": "mixed",
        "outcomes": ["proven-reoffending-binary"],
        "provider_reserves": "50000",
        "provider_share": "100",
        "mechanism_source": "designer",
        "starting_point": "blended",
    }
    data.update(designer.design_values(designer.starting_point("blended", SMALL)))
    data.update(changes)
    return data


def test_commissioner_designs_and_saves_without_toml(signed_in, world):
    client = _commissioner(signed_in, world)
    url = reverse("programme-create")
    page = client.get(url).content.decode()
    assert 'href="/programmes/payment-guide/"' in page and "mechanism_toml" not in page
    started = client.post(url, _form(action="start", starting_point="tr")).content.decode()
    assert "runs out of cash" in started and 'value="80"' in started
    saved = client.post(url, _form(action="save"))
    assert saved.status_code == 302
    programme = Programme.objects.get(title="Women's centre")
    assert programme.status == "draft" and programme.starts_on == dt.date(2027, 4, 1)
    assert programme.mechanism_design["starting_point"] == "blended"
    spec = parse_spec(programme.mechanism_toml)
    assert spec.period_names() == ["2027-28", "2028-29", "2029-30"]
    detail = client.get(reverse("programme-detail", args=[programme.slug])).content.decode()
    assert "in reserves" in detail and "<svg" in detail and "Budget £600k" in detail
    assert "Change this draft" in detail
    edit = client.post(
        reverse("programme-edit", args=[programme.slug]), _form(action="save", budget="700000")
    )
    assert edit.status_code == 302
    programme.refresh_from_db()
    assert programme.budget == Decimal(700000)
    assert "contract_value = 700000" in programme.mechanism_toml


def test_designer_errors_link_to_fields_in_plain_words(signed_in, world):
    client = _commissioner(signed_in, world)
    response = client.post(
        reverse("programme-create"),
        _form(action="publish", outcomes=["accommodation-settled"], reoffending_price=""),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'href="#outcomes"' in page and 'href="#reoffending_price"' in page
    assert "The outcomes ticked must match the mechanism&#39;s outcome payments" in page
    assert "components[" not in page and "This field is required" not in page


def test_preview_partial_and_comparing_three(signed_in, world):
    client = _commissioner(signed_in, world)
    url = reverse("programme-create")
    partial = client.post(url, _form(action="preview"), HTTP_X_FULLVALUE_PARTIAL="preview")
    text = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in text and "runs out of cash" in text
    for point in ("blended", "pbr", "grant"):
        values = designer.design_values(designer.starting_point(point, SMALL))
        client.post(url, _form(action="compare", **values))
    page = client.post(url, _form(action="compare")).content.decode()
    assert "Compare at most 3 mechanisms" in page
    assert page.count('<th scope="col" class="govuk-table__header">') >= 4
    assert "100% payment by results" in page and "Grant" in page


def test_uploaded_specification_replaces_the_designer_and_download_gives_toml(signed_in, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _commissioner(signed_in, world)
    url = reverse("programme-create")
    download = client.post(url, _form(action="download"))
    assert download["Content-Disposition"].startswith("attachment")
    assert "contract_value = 600000" in download.content.decode()
    bad = client.post(
        url,
        {**_form(action="upload"), "specification": SimpleUploadedFile("m.toml", b"[contract]\n")},
    )
    assert "The specification&#39;s" in bad.content.decode()
    toml = (EXAMPLES / "womens-centre" / "contract.toml").read_bytes()
    good = client.post(
        url, {**_form(action="upload"), "specification": SimpleUploadedFile("m.toml", toml)}
    )
    assert "uses an uploaded specification" in good.content.decode()


# --- API ---------------------------------------------------------------------------------------


def _api(client, **payload):
    return client.post("/api/v1/risk-preview", payload, content_type="application/json")


FIGURES = {
    "budget": "600000",
    "years": 3,
    "start": "2027-04-01",
    "volume_low": 60,
    "volume_expected": 80,
    "volume_high": 100,
}


def test_api_risk_preview_takes_the_programmes_figures(client):
    toml = (EXAMPLES / "transforming-rehabilitation" / "contract.toml").read_text()
    own = _api(client, mechanism_toml=toml, runs=500).json()
    small = _api(client, mechanism_toml=toml, runs=500, **FIGURES).json()
    for key in ("probability_of_outcome_payment", "working_capital_p50", "warnings", "runs"):
        assert key in small
    assert (
        Decimal(small["income_p5"]) <= Decimal(small["income_p50"]) <= Decimal(small["income_p95"])
    )
    assert abs(Decimal(small["income_p50"]) - 600000) < 60000
    assert Decimal(own["income_p50"]) > 10 * Decimal(small["income_p50"])
    assert small["periods"][:3] == ["2027-28", "2028-29", "2029-30"]
    assert 0 <= small["probability_cash_runs_out"] <= 1
    poor = _api(client, mechanism_toml=toml, runs=500, provider_reserves="0", **FIGURES).json()
    assert poor["probability_cash_runs_out"] >= small["probability_cash_runs_out"]


def test_api_risk_preview_takes_a_design_and_names_missing_figures(client):
    designed = _api(client, design={"starting_point": "pbr"}, runs=500, **FIGURES)
    body = designed.json()
    assert designed.status_code == 200 and body["summary"].startswith("A provider with £50,000")
    assert body["probability_cash_runs_out"] > 0.5
    blended = _api(
        client,
        design={"starting_point": "blended", "guaranteed_percent": 90, "reoffending": True},
        runs=500,
        **FIGURES,
    ).json()
    assert blended["probability_cash_runs_out"] < body["probability_cash_runs_out"]
    assert Decimal(blended["income_p5"]) >= Decimal(540000)  # 90% of £600,000 guaranteed
    missing = _api(client, design={"starting_point": "pbr"}, budget="600000")
    assert missing.status_code in (400, 422) and "years" in missing.content.decode()


def test_chart_axis_puts_the_minus_sign_before_the_pound_and_marks_projection():
    from fullvalue.web.kernel.charts import band_chart

    svg = band_chart(
        title="Cash",
        description="d",
        labels=["2027-28 Q1", "2027-28 Q2", "2027-28 Q3"],
        median=[-20000, -5000, 10000],
        low=[-20000, -15000, -8000],
        high=[-20000, 0, 30000],
        projected_from=1,
    )
    assert "−£20k" in svg and "-£" not in svg
    assert "2027-28 Q1" in svg and 'stroke-dasharray="7 4"' in svg and "5-95%" in svg
    assert "Actual" in svg and "Projected (median)" in svg


def _design_spec(values):
    design, problems = designer.parse_design(values)
    assert problems == []
    return designer.to_toml(designer.build_spec(design, SMALL))


def test_caps_in_plain_words_reach_the_specification_and_the_risk_preview(db):
    figures = Figures(Decimal(600000), 3, dt.date(2027, 4, 1), 60, 80, 100)
    provider = Provider(Decimal(50000))
    jobs = designer.design_values(designer.starting_point("work-programme", SMALL))
    uncapped = _design_spec(jobs)
    capped = _design_spec({**jobs, "tariff_0_cap": "150,000"})
    tariff = parse_spec(capped).component("employment-sustained")
    assert tariff.cap == Decimal(150000) and parse_spec(uncapped).component(tariff.name).cap is None
    free = risk_preview(uncapped, figures, provider, scale_to_budget=False, runs=500)
    held = risk_preview(capped, figures, provider, scale_to_budget=False, runs=500)
    attachment = jobs["attachment_fee"]
    assert held.income_p95 < free.income_p95
    assert held.income_p95 <= Decimal(150000) + Decimal(attachment) * 100 * 3

    pbr = designer.design_values(designer.starting_point("pbr", SMALL))
    reoffending = parse_spec(_design_spec({**pbr, "reoffending_cap_total": "100000"})).component(
        "reoffending"
    )
    assert reoffending.cap_total == Decimal(100000)
    open_ended = risk_preview(_design_spec(pbr), figures, provider, scale_to_budget=False)
    limited = risk_preview(
        _design_spec({**pbr, "reoffending_cap_total": "100000"}),
        figures,
        provider,
        scale_to_budget=False,
    )
    assert limited.income_p95 <= Decimal(100000) < open_ended.income_p95


def test_a_cap_that_is_not_an_amount_is_named_in_plain_words():
    values = designer.design_values(designer.starting_point("work-programme", SMALL))
    _, problems = designer.parse_design(
        {**values, "tariff_0_cap": "lots", "reoffending_cap_total": "-5"}
    )
    by_field = {p.column: p.reason for p in problems}
    assert by_field["tariff_0_cap"] == (
        "Outcome payment 1: most paid over the contract: enter an amount in pounds, like 250"
    )
    assert by_field["reoffending_cap_total"] == (
        "Most paid for reoffending over the whole contract must be 0 or more"
    )


def test_the_designer_page_offers_caps_and_keeps_them(signed_in, world):
    client = _commissioner(signed_in, world)
    page = client.get(reverse("programme-create")).content.decode()
    assert 'name="tariff_0_cap"' in page and 'name="reoffending_cap_total"' in page
    assert "most paid for it over the whole contract" in page
    client.post(reverse("programme-create"), _form(action="save", reoffending_cap_total="90000"))
    programme = Programme.objects.get()
    assert programme.mechanism_design["reoffending_cap_total"] == "90000"
    assert parse_spec(programme.mechanism_toml).component("reoffending").cap_total == 90000
