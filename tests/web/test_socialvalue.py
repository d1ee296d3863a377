"""Social value from bid to delivery: commitments, reports, verification, honest totals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from fullvalue.domain.socialvalue import line_value, total_of
from fullvalue.errors import Conflict, FullvalueError, PermissionDenied
from fullvalue.web.accounts.models import Membership
from fullvalue.web.audit.models import AuditEvent
from fullvalue.web.contracts.services import supply_chain_set
from fullvalue.web.socialvalue import selectors, services

JOBS = {
    "measure": "Jobs for prison leavers",
    "unit": "job",
    "period": "2025/26",
    "quantity": "6",
    "proxy_value": "14044",
    "deadweight": "0.25",
    "attribution": "0.8",
    "source": "GMCA unit cost database: jobseeker entering work, economic, 2012/13 prices",
}


def _member(chain, key):
    return Membership.objects.get(id=chain[key].membership_id)


@pytest.fixture
def sv(chain):
    """The chain's contract with a sub-contractor and one commitment of the commissioner's."""
    supply_chain_set(
        actor=chain["prime"],
        contract_id=chain["contract"].id,
        reason="Partner",
        members=[
            {
                "organisation_id": chain["sub_org"].id,
                "share_of_value": "0.3",
                "share_of_work": "0.4",
                "payment_terms_days": 14,
            }
        ],
    )
    commitment = services.commitment_add(
        actor=chain["c"], contract_id=chain["contract"].id, data=JOBS
    )
    return {"commitment": commitment, **chain}


def _report(sv, who, quantity, period="2025/26 Q1"):
    return services.delivery_report(
        actor=sv[who],
        commitment_id=sv["commitment"].id,
        data={"period": period, "quantity": quantity, "evidence": "Job start letters on file"},
    )


def test_a_line_is_quantity_times_proxy_less_deadweight_times_attribution_to_the_penny():
    # 6 × 14,044 × 0.75 × 0.8 = 50,558.40
    assert line_value(Decimal(6), Decimal(14044), Decimal("0.25"), Decimal("0.8")) == Decimal(
        "50558.40"
    )
    # Half a penny rounds up, never to even: 1 × 0.125 = 0.125 -> 0.13 (banker's would give 0.12)
    assert line_value(Decimal(1), Decimal("0.125"), Decimal(0), Decimal(1)) == Decimal("0.13")
    assert line_value(Decimal(3), Decimal("16.50"), Decimal(1), Decimal(1)) == Decimal("0.00")


_amounts = st.integers(min_value=0, max_value=10**8).map(lambda n: Decimal(n).scaleb(-2))
_shares = st.integers(min_value=0, max_value=10**4).map(lambda n: Decimal(n).scaleb(-4))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_amounts, _amounts, _shares, _shares), max_size=12))
def test_a_total_is_always_the_sum_of_its_rounded_lines(lines):
    values = [line_value(*line) for line in lines]
    for (q, p, d, a), value in zip(lines, values, strict=True):
        exact = q * p * (1 - d) * a
        assert abs(value - exact) <= Decimal("0.005")  # within half a penny of the exact value
        assert value == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert total_of(values) == sum(values, Decimal(0))


def test_only_verified_deliveries_count_and_every_decision_is_audited(sv):
    c = sv["c"]
    verified = _report(sv, "prime", "2")
    queried = _report(sv, "sub", "1", period="2025/26 Q2")
    rejected = _report(sv, "prime", "3", period="2025/26 Q2")
    waiting = _report(sv, "sub_staff", "1", period="2025/26 Q3")
    account = selectors.social_value(sv["contract"].id)
    assert account["delivered"]["total"] == Decimal("0.00")  # nothing verified yet
    services.delivery_decide(actor=c, delivery_id=verified.id, decision="verify")
    services.delivery_decide(
        actor=c, delivery_id=queried.id, decision="query", reason="Which employer?"
    )
    services.delivery_decide(
        actor=c, delivery_id=rejected.id, decision="reject", reason="Counted last quarter"
    )
    account = selectors.social_value(sv["contract"].id)
    lines = {x["id"]: x for x in account["delivered"]["lines"]}
    assert [lines[d.id]["status"] for d in (verified, queried, rejected, waiting)] == [
        "verified",
        "queried",
        "rejected",
        "reported",
    ]
    # 2 × 14,044 × 0.75 × 0.8 = 16,852.80: the only verified line is the total.
    assert account["delivered"]["total"] == Decimal("16852.80") == lines[verified.id]["value"]
    assert account["committed"]["total"] == Decimal("50558.40")
    # A query or rejection says why; a decided figure is not decided again.
    with pytest.raises(FullvalueError) as err:
        services.delivery_decide(actor=c, delivery_id=waiting.id, decision="reject")
    assert err.value.problems[0].column == "reason"
    with pytest.raises(Conflict):
        services.delivery_decide(actor=c, delivery_id=rejected.id, decision="verify")
    # A queried figure, answered, can be verified: then it counts.
    services.delivery_decide(actor=c, delivery_id=queried.id, decision="verify")
    assert selectors.social_value(sv["contract"].id)["delivered"]["total"] == Decimal("25279.20")
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "socialvalue.commit",
        "socialvalue.report",
        "socialvalue.verify",
        "socialvalue.query",
        "socialvalue.reject",
    } <= actions
    rejected_event = AuditEvent.objects.get(action="socialvalue.reject")
    assert rejected_event.changes["reason"] == [None, "Counted last quarter"]


def test_only_the_commissioner_commits_and_verifies_and_only_the_supply_chain_reports(sv):
    delivery = _report(sv, "sub", "1")
    contract_id = sv["contract"].id
    for who in ("prime", "sub", "other"):
        with pytest.raises(PermissionDenied, match="commissioner"):
            services.commitment_add(actor=sv[who], contract_id=contract_id, data=JOBS)
        with pytest.raises(PermissionDenied, match="commissioner"):
            services.delivery_decide(actor=sv[who], delivery_id=delivery.id, decision="verify")
    for who in ("c", "other"):
        with pytest.raises(PermissionDenied, match="supply chain"):
            _report(sv, who, "1")
    assert selectors.delivery_by_id(delivery.id).status == "reported"


def test_a_commitment_and_a_report_name_the_fields_to_correct(sv):
    with pytest.raises(FullvalueError) as err:
        services.commitment_add(
            actor=sv["c"],
            contract_id=sv["contract"].id,
            data={**JOBS, "quantity": "-1", "deadweight": "1.5", "source": ""},
        )
    assert {p.column for p in err.value.problems} == {"quantity", "deadweight", "source"}
    with pytest.raises(FullvalueError) as err:
        services.delivery_report(
            actor=sv["prime"],
            commitment_id=sv["commitment"].id,
            data={"period": "", "quantity": "0", "evidence": ""},
        )
    assert {p.column for p in err.value.problems} == {"period", "quantity", "evidence"}


def test_the_api_is_public_and_has_exactly_the_published_shape(sv, client):
    services.delivery_decide(
        actor=sv["c"], delivery_id=_report(sv, "prime", "2").id, decision="verify"
    )
    _report(sv, "sub", "1.5", period="2025/26 Q2")
    response = client.get(f"/api/v1/contracts/{sv['contract'].id}/social-value")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"committed", "delivered"}
    assert set(body["committed"]) == set(body["delivered"]) == {"lines", "total"}
    keys = {
        "measure",
        "unit",
        "period",
        "quantity",
        "proxy_value",
        "deadweight",
        "attribution",
        "value",
    }
    assert [set(x) for x in body["committed"]["lines"]] == [keys]
    assert [set(x) for x in body["delivered"]["lines"]] == [keys | {"status"}] * 2
    assert body["committed"] == {
        "lines": [
            {
                "measure": "Jobs for prison leavers",
                "unit": "job",
                "period": "2025/26",
                "quantity": "6.00",
                "proxy_value": "14044.00",
                "deadweight": "0.2500",
                "attribution": "0.8000",
                "value": "50558.40",
            }
        ],
        "total": "50558.40",
    }
    assert [x["status"] for x in body["delivered"]["lines"]] == ["verified", "reported"]
    assert body["delivered"]["lines"][1]["value"] == "12639.60"  # valued, but not in the total
    assert body["delivered"]["total"] == "16852.80"
    assert client.get("/api/v1/contracts/999999/social-value").status_code == 404


def test_the_contract_page_shows_the_formula_and_takes_the_three_forms(sv, signed_in, client):
    url = reverse("contract-detail", args=[sv["contract"].id])
    public = client.get(url).content.decode()
    assert "Social value" in public and "£50,558.40" in public
    assert "6 job × £14,044.00 × (1 − 0.25) × 0.8" in public and "GMCA unit cost" in public
    assert "Add a social value commitment" not in public and "Report social value" not in public
    csv = client.get(url + "?table=social-value&format=csv").content.decode()
    assert (
        "committed,Jobs for prison leavers,job,2025/26,6.00,14044.00,0.2500,0.8000,50558.40" in csv
    )

    prime = signed_in(_member(sv, "prime"))
    posted = prime.post(
        url,
        {
            "action": "sv_report",
            "svr_commitment": sv["commitment"].id,
            "svr_period": "2025/26 Q1",
            "svr_quantity": "2",
            "svr_evidence": "Start letters",
        },
    )
    assert posted.status_code == 302
    refused = prime.post(
        url,
        {
            "action": "sv_report",
            "svr_commitment": sv["commitment"].id,
            "svr_period": "",
            "svr_quantity": "x",
            "svr_evidence": "e",
        },
    )
    assert 'id="svr_period-error"' in refused.content.decode()
    delivery = selectors.deliveries_of(sv["contract"].id)[0]

    commissioner = signed_in(_member(sv, "c"))
    body = commissioner.get(url).content.decode()
    assert "Add a social value commitment" in body and 'value="sv_decide"' in body
    queried = commissioner.post(
        url, {"action": "sv_decide", "sv_delivery": delivery.id, "decision": "query"}
    )
    assert f'id="sv_reason-{delivery.id}-error"' in queried.content.decode()
    commissioner.post(
        url, {"action": "sv_decide", "sv_delivery": delivery.id, "decision": "verify"}
    )
    assert selectors.delivery_by_id(delivery.id).status == "verified"
    commissioner.post(
        url,
        {
            "action": "sv_commit",
            **{f"svc_{k}": v for k, v in JOBS.items()},
            "svc_period": "2026/27",
        },
    )
    assert [c.period for c in selectors.commitments_of(sv["contract"].id)] == [
        "2025/26",
        "2026/27",
    ]


def test_the_demo_contract_has_commitments_and_a_year_of_deliveries(db, client):
    from fullvalue.web.contracts.selectors import contracts_listed
    from fullvalue.web.demo.world import build_demo_world

    build_demo_world()
    contract = next(
        c
        for c in contracts_listed()
        if c.provider.name == "Moss Side Women's Centre" and c.award_id is not None
    )
    account = selectors.social_value(contract.id)
    measures = {x["measure"] for x in account["committed"]["lines"]}
    assert "Jobs for prison leavers" in measures  # carried over from the winning bid
    statuses = [x["status"] for x in account["delivered"]["lines"]]
    assert statuses.count("queried") == 1 and statuses.count("rejected") == 1
    assert "verified" in statuses and "reported" in statuses
    verified = [x["value"] for x in account["delivered"]["lines"] if x["status"] == "verified"]
    assert account["delivered"]["total"] == sum(verified) > 0
    body = client.get(f"/api/v1/contracts/{contract.id}/social-value").json()
    assert body["delivered"]["total"] == f"{account['delivered']['total']:.2f}"


def test_the_account_asks_the_same_number_of_queries_however_many_lines(sv):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as ctx:
            selectors.social_value(sv["contract"].id)
        return len(ctx.captured_queries)

    _report(sv, "prime", "1")
    few = count()
    for i in range(5):
        _report(sv, "sub", "1", period=f"2026/27 Q{i}")
        services.commitment_add(
            actor=sv["c"], contract_id=sv["contract"].id, data={**JOBS, "period": f"20{30 + i}"}
        )
    assert count() == few == 2


def test_the_own_page_is_public_read_only_and_downloads(sv, signed_in, client):
    services.delivery_decide(
        actor=sv["c"], delivery_id=_report(sv, "prime", "2").id, decision="verify"
    )
    url = reverse("contract-social-value", args=[sv["contract"].id])
    body = client.get(url).content.decode()
    assert "£50,558.40" in body and "£16,852.80" in body and "GMCA unit cost" in body
    commissioner = signed_in(_member(sv, "c")).get(url).content.decode()
    assert "Add a social value commitment" not in commissioner  # forms live on the contract page
    assert 'value="sv_decide"' not in commissioner
    xlsx = client.get(url + "?format=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd")
    assert client.get(url + "?table=kpis&format=csv").status_code == 404
    assert client.get(reverse("contract-social-value", args=[999999])).status_code == 404
    detail = client.get(reverse("contract-detail", args=[sv["contract"].id])).content.decode()
    assert url in detail
