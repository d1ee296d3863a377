"""Community budgets in the web service: the case judged by the engine, contributions agreed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from markupsafe import escape

from fullvalue.domain.roles import Role
from fullvalue.engine.cba import cost_benefit, parse_case, sensitivity
from fullvalue.errors import Conflict, FullvalueError, PermissionDenied
from fullvalue.web.accounts.models import Membership
from fullvalue.web.budgets import selectors, services
from fullvalue.web.jinja import money

CASE = (Path(__file__).parents[2] / "examples" / "community-budget" / "case.toml").read_text()


@pytest.fixture
def pool(make_member, actor_for, clock):
    """A council leads a budget with a PCC and a health body; a provider is not a partner."""
    clock["now"] = dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC)
    public = {"sector": "public", "legal_form": "public_body", "annual_income": None}
    council = make_member(Role.COMMISSIONER, **public)
    council2 = make_member(Role.COMMISSIONER, organisation=council.organisation)
    pcc = make_member(Role.COMMISSIONER, **public)
    pcc_evaluator = make_member(Role.EVALUATOR, organisation=pcc.organisation)
    health = make_member(Role.COMMISSIONER, **public)
    outsider = make_member(Role.COMMISSIONER, **public)
    provider = make_member(Role.PROVIDER_ADMIN)
    auditor = make_member(Role.AUDITOR)
    lead = actor_for(council)
    budget = services.budget_create(
        actor=lead,
        name="Families with complex needs",
        cohort="Families where someone is in contact with the justice system",
        case_toml=CASE,
        partner_ids=[pcc.organisation_id, health.organisation_id],
    )
    members = {
        "council": council,
        "council2": council2,
        "pcc": pcc,
        "pcc_evaluator": pcc_evaluator,
        "health": health,
        "outsider": outsider,
        "provider": provider,
        "auditor": auditor,
    }
    return {
        "budget": budget,
        "members": members,
        **{k: actor_for(v) for k, v in members.items()},
    }


def _record(pool, partner="pcc", year="1", amount="60000", kind="pooled", actor="council"):
    return services.contribution_record(
        actor=pool[actor],
        budget_id=pool["budget"].id,
        data={
            "partner": str(pool[partner].organisation_id),
            "year": year,
            "amount": amount,
            "kind": kind,
        },
    )


def test_only_a_lead_commissioner_records_and_only_the_partner_agrees_audited(pool):
    for who in ("pcc", "outsider", "provider", "auditor", "pcc_evaluator"):
        with pytest.raises(PermissionDenied):
            _record(pool, actor=who)
    contribution = _record(pool)
    assert contribution.agreed_at is None
    ledger = selectors.ledger_of(pool["budget"])
    assert (ledger.pooled_in, ledger.pending, ledger.balance) == (0, Decimal("60000.00"), 0)
    # The lead records it but cannot agree it for the PCC; neither can the health body.
    for who in ("council", "council2", "health", "outsider", "pcc_evaluator"):
        with pytest.raises(PermissionDenied):
            services.contribution_agree(actor=pool[who], contribution_id=contribution.id)
    services.contribution_agree(actor=pool["pcc"], contribution_id=contribution.id)
    with pytest.raises(Conflict, match="agreed"):
        services.contribution_agree(actor=pool["pcc"], contribution_id=contribution.id)
    aligned = _record(pool, partner="health", amount="50000", kind="aligned")
    services.contribution_agree(actor=pool["health"], contribution_id=aligned.id)
    ledger = selectors.ledger_of(pool["budget"])
    assert ledger.pooled_in == ledger.balance == Decimal("60000.00")
    assert (ledger.aligned, ledger.pending) == (Decimal("50000.00"), 0)
    from fullvalue.web.audit.models import AuditEvent

    actions = list(
        AuditEvent.objects.filter(object_type="contribution")
        .order_by("id")
        .values_list("action", "object_id")
    )
    assert actions == [
        ("contribution.record", str(contribution.id)),
        ("contribution.agree", str(contribution.id)),
        ("contribution.record", str(aligned.id)),
        ("contribution.agree", str(aligned.id)),
    ]
    # The same partner, year and kind twice is refused.
    with pytest.raises(Conflict, match="already recorded"):
        _record(pool)


def test_a_named_approver_is_the_only_one_who_agrees_for_the_partner(pool, make_member, actor_for):
    second = make_member(Role.COMMISSIONER, organisation=pool["members"]["pcc"].organisation)
    partner = pool["budget"].partners.get(organisation_id=pool["pcc"].organisation_id)
    partner.approver_id = second.id
    partner.save()
    contribution = _record(pool)
    with pytest.raises(PermissionDenied, match="approver"):
        services.contribution_agree(actor=pool["pcc"], contribution_id=contribution.id)
    services.contribution_agree(actor=actor_for(second), contribution_id=contribution.id)


def test_amounts_years_partners_and_kinds_are_checked_field_by_field(pool):
    for data, column in (
        ({"amount": "100.005"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1e6"}, "amount"),
        ({"year": "6"}, "year"),  # the case has 5 years
        ({"year": "0"}, "year"),
        ({"kind": "borrowed"}, "kind"),
        ({"partner": "outsider"}, "partner"),
    ):
        args = {"partner": "pcc", "year": "1", "amount": "60000", "kind": "pooled"} | data
        with pytest.raises(FullvalueError) as refused:
            _record(pool, **args)
        assert [p.column for p in refused.value.problems] == [column], data
    assert "2 decimal places" in str(_problems(pool, amount="100.005"))


def _problems(pool, **data):
    args = {"partner": "pcc", "year": "1", "amount": "60000", "kind": "pooled"} | data
    try:
        _record(pool, **args)
    except FullvalueError as exc:
        return [p.reason for p in exc.problems]
    return []


def test_a_case_the_engine_refuses_is_not_kept_and_names_the_field(pool):
    bad = CASE.replace("deadweight = 0.2", "deadweight = 1.2", 1)
    with pytest.raises(FullvalueError) as refused:
        services.case_replace(actor=pool["council"], budget_id=pool["budget"].id, case_toml=bad)
    assert "outcomes[0].deadweight" in refused.value.problems[0].reason
    with pytest.raises(PermissionDenied):
        services.case_replace(actor=pool["pcc"], budget_id=pool["budget"].id, case_toml=CASE)
    shorter = CASE.replace("years = 5", "years = 5\n# replaced")
    services.case_replace(actor=pool["council"], budget_id=pool["budget"].id, case_toml=shorter)
    pool["budget"].refresh_from_db()
    assert pool["budget"].case_toml == shorter.strip()


def test_the_page_shows_the_engines_figures_and_exports_each_table(pool, signed_in):
    expected = cost_benefit(parse_case(CASE))
    page = signed_in(pool["members"]["pcc"])
    url = reverse("budget-detail", args=[pool["budget"].id])
    body = page.get(url).content.decode()
    for amount in (
        expected.pv_costs,
        expected.pv_fiscal,
        expected.pv_economic,
        expected.pv_social,
        expected.fiscal_npv,
        expected.public_value_npv,
    ):
        assert money(amount, pence=True) in body, amount
    assert f"£{expected.public_value_roi:.2f} for every £1 spent" in body
    assert "<svg" in body and "What each agency puts in" in body
    # Who pays back: the council in year 4, never the PCC (the example's story).
    agencies = {a.agency: a for a in expected.by_agency}
    assert agencies["Anytown Council"].payback_years == 4
    assert agencies["Anytown Police and Crime Commissioner"].payback_years is None
    assert "Year 4" in body and "Not within 5 years" in body
    assert "discounted by 3.5% a year" in body and "Pays nothing in" in body  # the DWP
    csv = page.get(url + "?format=csv&table=agencies").content.decode()
    first = expected.by_agency[0]
    assert f"{first.agency},{first.pv_costs:.2f},{first.pv_fiscal_benefits:.2f}" in csv
    assert "Does not pay back within 5 years" in csv
    figures = page.get(url + "?format=csv&table=figures").content.decode()
    assert f"{expected.pv_costs:.2f}" in figures
    moved = page.get(url + "?format=csv&table=sensitivity").content.decode().splitlines()
    [outcomes] = [row for row in moved if row.startswith("outcomes -25%")]
    cut = next(s for s in sensitivity(parse_case(CASE)) if s.assumption == "outcomes -25%")
    assert f"{cut.result.public_value_npv:.2f}" in outcomes
    assert 'id="budget-sensitivity-t"' in body  # the tornado chart
    xlsx = page.get(url + "?format=xlsx&table=ledger")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd")
    # The partner reads it but is not offered the lead's forms.
    assert "Record the contribution" not in body
    assert (
        page.get(reverse("budget-case", args=[pool["budget"].id])).content.decode() == CASE.strip()
    )


def test_pages_record_and_agree_a_contribution(pool, signed_in, client):
    url = reverse("budget-detail", args=[pool["budget"].id])
    lead = signed_in(pool["members"]["council"])
    refused = lead.post(
        url, {"action": "record", "partner": str(pool["pcc"].organisation_id), "year": "1",
              "amount": "12.345", "kind": "pooled"},
    )  # fmt: skip
    assert refused.status_code == 400 and "at most 2 decimal places" in refused.content.decode()
    done = lead.post(
        url, {"action": "record", "partner": str(pool["pcc"].organisation_id), "year": "1",
              "amount": "60,000", "kind": "pooled"},
    )  # fmt: skip
    assert done.status_code == 302
    client.logout()
    partner = signed_in(pool["members"]["pcc"])
    dashboard = partner.get(reverse("dashboard")).content.decode()
    assert "1 contribution waits for your agreement" in dashboard
    [waiting] = selectors.awaiting_agreement(pool["pcc"])
    assert (
        partner.post(url, {"action": "agree", "contribution": str(waiting.id)}).status_code == 302
    )
    assert selectors.ledger_of(pool["budget"]).balance == Decimal("60000.00")
    client.logout()
    from fullvalue.web.programmes.services import programme_create
    from tests.web.cycle import programme_data

    own = programme_create(actor=pool["council"], data=programme_data())
    lead = signed_in(pool["members"]["council"])
    offered = lead.get(url).content.decode()  # in "Commission from the pool"
    assert str(escape(own.title)) in offered
    over = lead.post(url, {"action": "commit", "programme": str(own.id), "commit_amount": "60001"})
    assert over.status_code == 400 and "holds £60,000.00" in over.content.decode()
    lead.post(url, {"action": "commit", "programme": str(own.id), "commit_amount": "20000"})
    body = lead.get(url).content.decode()
    assert (
        "Commissioned from the pool" in body
        and reverse("programme-detail", args=[own.slug]) in body
    )
    assert selectors.ledger_of(pool["budget"]).balance == Decimal("40000.00")


def test_pages_and_the_api_refuse_those_outside_the_budget(pool, signed_in, client, api_token):
    url = reverse("budget-detail", args=[pool["budget"].id])
    assert signed_in(pool["members"]["outsider"]).get(url).status_code == 403
    client.logout()
    assert signed_in(pool["members"]["provider"]).get(reverse("budget-list")).status_code == 403
    client.logout()
    assert signed_in(pool["members"]["auditor"]).get(url).status_code == 200
    client.logout()

    def bearer(who):
        return {"HTTP_AUTHORIZATION": f"Bearer {api_token(pool['members'][who])}"}

    assert client.get("/api/v1/community-budgets", **bearer("outsider")).json()["items"] == []
    one = f"/api/v1/community-budgets/{pool['budget'].id}"
    assert client.get(one, **bearer("outsider")).status_code == 403
    assert client.get(one, **bearer("provider")).status_code == 403
    assert client.get("/api/v1/community-budgets", **bearer("provider")).status_code == 403


def test_the_api_lists_budgets_and_gives_the_engines_json(pool, client, api_token):
    contribution = _record(pool)
    services.contribution_agree(actor=pool["pcc"], contribution_id=contribution.id)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token(pool['members']['health'])}"}
    listed = client.get("/api/v1/community-budgets", **headers).json()
    assert [b["id"] for b in listed["items"]] == [pool["budget"].id]
    assert set(listed) == {"items", "next_cursor", "links"}
    [item] = listed["items"]
    assert item["lead_id"] == pool["council"].organisation_id
    assert [p["is_lead"] for p in item["partners"]] == [True, False, False]
    one = client.get(f"/api/v1/community-budgets/{pool['budget'].id}", **headers).json()
    assert one["cba"] == cost_benefit(parse_case(CASE)).as_dict()
    assert isinstance(one["cba"]["pv_costs"], str) and one["cba"]["pv_costs"].count(".") == 1
    assert one["ledger"] == {
        "pooled_in": "60000.00",
        "aligned": "0.00",
        "pending": "0.00",
        "commissioned_out": "0.00",
        "balance": "60000.00",
        "commitments": [],
    }
    assert (one["years"], one["discount_rate"]) == (5, "0.035")
    missing = client.get("/api/v1/community-budgets/999999", **headers)
    assert missing.status_code == 404


def test_setting_up_a_budget_checks_each_field_and_the_lead_is_always_a_partner(pool):
    with pytest.raises(FullvalueError) as refused:
        services.budget_create(
            actor=pool["pcc"], name="", cohort="", case_toml="years = 'five'", partner_ids=[999999]
        )
    columns = {p.column for p in refused.value.problems}
    assert columns == {"name", "cohort", "case_toml", "partners"}
    with pytest.raises(PermissionDenied):
        services.budget_create(
            actor=pool["provider"], name="x", cohort="y", case_toml=CASE, partner_ids=[]
        )
    budget = services.budget_create(
        actor=pool["pcc"], name="Alone", cohort="Adults leaving short sentences", case_toml=CASE
    )
    assert selectors.partner_ids(budget) == {pool["pcc"].organisation_id}
    assert [b.id for b in selectors.budgets_listed(pool["pcc"])] == [
        budget.id,
        pool["budget"].id,
    ]


def test_the_demo_budget_pays_back_for_the_council_but_never_for_the_pcc(db, monkeypatch):
    monkeypatch.setenv("FULLVALUE_DEMO", "1")
    from fullvalue.web.demo.world import build_demo_world

    build_demo_world()
    commissioner = Membership.objects.get(
        user__email="commissioner@demo.fullvalue.test", organisation__name__contains="HMPPS"
    )
    from fullvalue.web.accounts.services import actor_for_membership

    actor = actor_for_membership(commissioner)
    [budget] = selectors.budgets_listed(actor)
    by_agency = {a.agency: a for a in selectors.analysis_of(budget).result.by_agency}
    assert by_agency["Lancashire County Council"].payback_years == 4
    assert by_agency["Lancashire Police and Crime Commissioner"].payback_years is None
    ledger = selectors.ledger_of(budget)
    assert ledger.pooled_in == Decimal("350000.00") and ledger.pending == Decimal("40000.00")
    assert ledger.balance == Decimal("50000.00")  # £300,000 committed to the council's programme
    assert "community budget" in ledger.commitments[0].programme.title
    against = {
        r["partner"]: (r["expected"], r["agreed"])
        for r in selectors.against_the_case(budget, selectors.case_of(budget), ledger)
    }
    # The case's undiscounted costs over five years; HMPPS's year 2 is not agreed yet.
    assert against["Lancashire County Council"] == (Decimal(900000), Decimal("250000.00"))
    assert against["Ministry of Justice (HMPPS)"] == (Decimal(200000), Decimal("40000.00"))
    assert len(selectors.awaiting_agreement(actor)) == 1


def test_only_agreed_pooled_money_is_committed_to_the_leads_own_programmes(
    pool, make_member, actor_for
):
    from fullvalue.web.programmes.services import programme_create
    from tests.web.cycle import programme_data

    own = programme_create(actor=pool["council"], data=programme_data())
    theirs = programme_create(actor=pool["pcc"], data=programme_data())
    aligned = _record(pool, partner="health", amount="50000", kind="aligned")
    services.contribution_agree(actor=pool["health"], contribution_id=aligned.id)
    pending = _record(pool, amount="60000")

    def commit(programme, amount, who="council"):
        return services.commitment_add(
            actor=pool[who], budget_id=pool["budget"].id, programme_id=str(programme.id),
            amount=amount,
        )  # fmt: skip

    with pytest.raises(FullvalueError) as refused:  # aligned and pending money is not in the pool
        commit(own, "1")
    assert "holds £0.00" in refused.value.problems[0].reason
    services.contribution_agree(actor=pool["pcc"], contribution_id=pending.id)
    with pytest.raises(FullvalueError) as refused:
        commit(theirs, "100")
    assert [p.column for p in refused.value.problems] == ["programme"]
    with pytest.raises(PermissionDenied):
        commit(theirs, "100", who="pcc")
    with pytest.raises(FullvalueError) as refused:
        commit(own, "60000.01")
    assert [p.column for p in refused.value.problems] == ["amount"]
    commit(own, "45000")
    ledger = selectors.ledger_of(pool["budget"])
    assert (ledger.commissioned_out, ledger.balance) == (Decimal("45000.00"), Decimal("15000.00"))
    with pytest.raises(Conflict):
        commit(own, "1")
    from fullvalue.web.audit.models import AuditEvent

    event = AuditEvent.objects.get(action="budget.commit")
    assert event.object_id == str(pool["budget"].id)
