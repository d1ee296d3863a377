"""Reoffending results into settlement, evidence files, KPIs and milestones, the working-capital
timeline, and the pages for contracts, supply chains, participants, outcomes and claims."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from scipy import stats

from fullvalue.errors import Conflict, FullvalueError, PermissionDenied
from fullvalue.web.accounts.models import Membership
from fullvalue.web.audit.models import AuditEvent
from fullvalue.web.contracts.models import Contract, KpiObservation, Milestone
from fullvalue.web.contracts.services import (
    kpi_add,
    kpi_observe,
    milestone_add,
    milestone_met,
    supply_chain_set,
)
from fullvalue.web.delivery.models import Claim, OutcomeEvent, Participant, ReoffendingResult
from fullvalue.web.delivery.reoffending import extract_measure, results_upload
from fullvalue.web.delivery.services import (
    claim_decide,
    claim_submit,
    evidence_attach,
    import_preview,
    import_run,
    import_start,
)
from fullvalue.web.payruns.cash import cash_timeline
from fullvalue.web.payruns.models import FlowDownPayment
from fullvalue.web.payruns.services import flowdown_confirm, payrun_approve, payrun_prepare
from tests.web.delivery_data import PEOPLE

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
RESULTS_HEADER = "period,cohort,measure,size,treated,comparison,p_value,ci_low,ci_high\n"


def _member(chain, key):
    return Membership.objects.get(id=chain[key].membership_id)


def _with_sub(chain, share="0.3"):
    supply_chain_set(
        actor=chain["prime"],
        contract_id=chain["contract"].id,
        reason="Partner",
        members=[
            {
                "organisation_id": chain["sub_org"].id,
                "share_of_value": share,
                "share_of_work": "0.4",
                "payment_terms_days": 14,
            }
        ],
    )


def _import(chain, actor, text, name="people.csv"):
    job, _ = import_preview(
        actor=actor, contract_id=chain["contract"].id, filename=name, content=text.encode()
    )
    import_start(actor=actor, job_id=job.id, valid_rows_only=True)
    return import_run(job.id)


def _people(chain, n, started=dt.date(2025, 4, 10), cohort="2025", provider=None):
    provider = provider or chain["contract"].provider
    Participant.objects.bulk_create(
        Participant(
            contract=chain["contract"],
            provider=provider,
            pseudonym=f"p{i:04d}",
            cohort=cohort,
            referred_on=started,
            started_on=started + dt.timedelta(days=i % 30),
        )
        for i in range(n)
    )


# --- reoffending results -----------------------------------------------------------------------


def test_matched_results_feed_the_payment_run_and_replace_with_an_audit_trail(chain):
    contract = chain["contract"]
    text = RESULTS_HEADER + "2026-27,2025,reoffending_binary,120,0.30,0.40,0.01,-0.17,-0.03\n"
    results_upload(
        actor=chain["c"], contract_id=contract.id, filename="jdl.csv", content=text.encode()
    )
    run = payrun_prepare(actor=chain["c"], contract_id=contract.id, period="2026-27")
    reoffending = [line for line in run.lines if line["component"] == "reoffending"]
    # 25% reduction passes the 10% hurdle and is significant: (0.40 - 0.30) x 120 = 12 fewer
    # women reoffending x £3,000 = £36,000 (under the £45,000 cohort cap).
    assert [line["amount"] for line in reoffending] == ["36000.00"]
    replaced = text.replace("0.30,0.40,0.01", "0.38,0.40,0.30")
    results_upload(
        actor=chain["c"], contract_id=contract.id, filename="jdl2.csv", content=replaced.encode()
    )
    assert ReoffendingResult.objects.get().treated == Decimal("0.38")
    event = AuditEvent.objects.filter(action="reoffending.upload").order_by("id").last()
    assert [Decimal(v) for v in event.changes["treated"]] == [Decimal("0.3"), Decimal("0.38")]
    assert [Decimal(v) for v in event.changes["p_value"]] == [Decimal("0.01"), Decimal("0.3")]
    again = payrun_prepare(actor=chain["c"], contract_id=contract.id, period="2026-27")
    assert not [line for line in again.lines if line["component"] == "reoffending"]


def test_a_results_file_with_bad_rows_names_each_and_saves_nothing(chain):
    bad = RESULTS_HEADER + (
        "2026-27,2025,reoffending_binary,120,0.30,0.40,0.01,,\n"
        "2031-32,2025,reoffending_binary,120,0.30,0.40,0.01,,\n"
        "2026-27,2099,reoffending_binary,120,0.30,0.40,0.01,,\n"
        "2026-27,2025,jobs,120,0.30,0.40,0.01,,\n"
        "2026-27,2026,reoffending_binary,-3,1.30,0.40,2,0.1,-0.1\n"
        "2026-27,2025,reoffending_binary,120,0.30,0.40,0.01,,\n"
    )
    with pytest.raises(FullvalueError) as exc:
        results_upload(
            actor=chain["c"],
            contract_id=chain["contract"].id,
            filename="r.csv",
            content=bad.encode(),
        )
    found = {(p.location, p.column) for p in exc.value.problems}
    assert {
        ("row 3", "period"),
        ("row 4", "cohort"),
        ("row 5", "measure"),
        ("row 6", "size"),
        ("row 6", "treated"),
        ("row 6", "p_value"),
        ("row 6", "ci_low"),
        ("row 7", "measure"),
    } <= found
    assert "nothing was saved" in exc.value.message
    assert not ReoffendingResult.objects.exists()
    for key in ("prime", "sub"):
        with pytest.raises(PermissionDenied):
            results_upload(
                actor=chain[key],
                contract_id=chain["contract"].id,
                filename="r.csv",
                content=(RESULTS_HEADER + "2026-27,2025,reoffending_binary,1,0,1,,,\n").encode(),
            )


def test_extract_measures_each_cohort_against_the_comparison(chain):
    _people(chain, 40)
    offences = ["pseudonym,offence_date,disposal_date,breach"]
    for i in range(10):  # 10 of 40 reoffend within 12 months of starting
        offences.append(f"p{i:04d},2025-09-01,2025-12-01,no")
    offences.append("p0010,2025-09-01,2025-12-01,yes")  # a breach does not count
    offences.append("p0011,2025-01-01,2025-02-01,")  # before the start: does not count
    saved = extract_measure(
        actor=chain["c"],
        contract_id=chain["contract"].id,
        filename="extract.csv",
        content=("\n".join(offences) + "\n").encode(),
        period="2026-27",
        measure="reoffending_binary",
        comparison="0.4",
        as_of=dt.date(2026, 11, 30),
    )
    (result,) = saved
    assert (result.cohort, result.size, result.treated) == ("2025", 40, Decimal("0.25"))
    z = (0.25 - 0.4) / math.sqrt(0.4 * 0.6 / 40)
    assert float(result.p_value) == pytest.approx(stats.norm.cdf(z), abs=1e-8)
    assert result.ci_low < Decimal("-0.15") < result.ci_high
    bad = "pseudonym,offence_date,disposal_date\nnobody,2025-09-01,2025-12-01\np0001,2025-13-01,x\n"
    with pytest.raises(FullvalueError) as exc:
        extract_measure(
            actor=chain["c"],
            contract_id=chain["contract"].id,
            filename="extract.csv",
            content=bad.encode(),
            period="2026-27",
            measure="reoffending_binary",
            comparison="0.4",
        )
    assert {(p.location, p.column) for p in exc.value.problems} == {
        ("row 2", "pseudonym"),
        ("row 3", "offence_date"),
        ("row 3", "disposal_date"),
    }
    with pytest.raises(FullvalueError, match="completed the follow-up"):
        extract_measure(
            actor=chain["c"],
            contract_id=chain["contract"].id,
            filename="extract.csv",
            content=b"pseudonym,offence_date,disposal_date\n",
            period="2026-27",
            measure="reoffending_binary",
            comparison="0.4",
            as_of=dt.date(2025, 12, 1),
        )


# --- evidence, KPIs, milestones ----------------------------------------------------------------


def _events(chain):
    _with_sub(chain)
    _import(chain, chain["prime"], PEOPLE)
    _import(
        chain,
        chain["prime"],
        "case_reference,outcome,occurred_on\n"
        "W001,settled_accommodation,2025-09-01\nW002,settled_accommodation,2025-10-01\n",
        name="events.csv",
    )
    return list(OutcomeEvent.objects.order_by("id"))


def test_evidence_files_are_checked_and_only_the_provider_adds_them(chain, client, signed_in):
    first, _ = _events(chain)
    with pytest.raises(FullvalueError, match="evidence"):
        evidence_attach(
            actor=chain["prime"], event_id=first.id, filename="x.pdf", content=b"MZ\x90 not a pdf"
        )
    with pytest.raises(FullvalueError):
        evidence_attach(actor=chain["prime"], event_id=first.id, filename="x.exe", content=PDF)
    with pytest.raises(PermissionDenied):
        evidence_attach(actor=chain["sub"], event_id=first.id, filename="t.pdf", content=PDF)
    evidence_attach(actor=chain["prime"], event_id=first.id, filename="ten ancy.pdf", content=PDF)
    assert OutcomeEvent.objects.get(id=first.id).evidence == "file:ten-ancy.pdf"
    url = reverse("evidence-file", args=[first.id])
    commissioner = signed_in(_member(chain, "c"))
    r = commissioner.get(url)
    assert r.status_code == 200 and r.content == PDF and r["Content-Type"] == "application/pdf"
    commissioner.logout()
    assert signed_in(_member(chain, "sub")).get(url).status_code == 404
    claim = claim_submit(actor=chain["prime"], event_id=first.id)
    claim_decide(actor=chain["c"], claim_id=claim.id, accept=True)
    with pytest.raises(Conflict):
        evidence_attach(actor=chain["prime"], event_id=first.id, filename="b.pdf", content=PDF)


def test_kpis_and_milestones_are_recorded_audited_and_published(chain):
    contract = chain["contract"]
    with pytest.raises(FullvalueError) as exc:
        kpi_add(actor=chain["c"], contract_id=contract.id, data={"target": "lots"})
    assert {p.column for p in exc.value.problems} == {"name", "unit", "target", "higher_is_better"}
    with pytest.raises(PermissionDenied):
        kpi_add(
            actor=chain["prime"],
            contract_id=contract.id,
            data={"name": "x", "unit": "%", "target": "1", "higher_is_better": "yes"},
        )
    kpi = kpi_add(
        actor=chain["c"],
        contract_id=contract.id,
        data={
            "name": "Starts within 10 days",
            "unit": "%",
            "target": "85",
            "higher_is_better": "yes",
        },
    )
    obs = kpi_observe(
        actor=chain["prime"],
        kpi_id=kpi.id,
        data={"period_start": "2025-04-01", "period_end": "2026-03-31", "value": "80"},
    )
    assert not obs.on_target
    kpi_observe(
        actor=chain["prime"],
        kpi_id=kpi.id,
        data={"period_start": "2025-04-01", "period_end": "2026-03-31", "value": "90"},
    )
    assert KpiObservation.objects.get().on_target  # the same period is replaced, not doubled
    with pytest.raises(PermissionDenied):
        kpi_observe(
            actor=chain["sub"],
            kpi_id=kpi.id,
            data={"period_start": "2025-04-01", "period_end": "2026-03-31", "value": "90"},
        )
    with pytest.raises(FullvalueError):
        kpi_observe(
            actor=chain["c"],
            kpi_id=kpi.id,
            data={"period_start": "2026-04-01", "period_end": "2025-03-31", "value": "-1"},
        )
    milestone = milestone_add(
        actor=chain["c"], contract_id=contract.id, title="Centre open", due_date="2025-06-30"
    )
    with pytest.raises(FullvalueError, match="date"):
        milestone_met(actor=chain["c"], milestone_id=milestone.id, met_on="2999-01-01")
    milestone_met(actor=chain["c"], milestone_id=milestone.id, met_on="2025-06-20")
    assert Milestone.objects.get().met_on == dt.date(2025, 6, 20)
    assert contract.variations.filter(reason__startswith="KPI added").exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"contract.kpi_add", "contract.kpi_observe", "contract.milestone_met"} <= actions


# --- working capital ---------------------------------------------------------------------------


def test_cash_timeline_uses_actual_payments_then_projects(chain):
    contract = chain["contract"]
    _with_sub(chain)
    _people(chain, 60)
    run = payrun_prepare(actor=chain["c"], contract_id=contract.id, period="2025-26")
    payrun_approve(actor=chain["c2"], run_id=run.id, paid_on=dt.date(2025, 12, 1))
    owed = FlowDownPayment.objects.get()
    flowdown_confirm(actor=chain["sub"], payment_id=owed.id, paid_on=dt.date(2025, 12, 10))
    today = dt.date(2026, 5, 1)
    prime = cash_timeline(chain["prime"], contract, None, today=today)
    assert prime.is_prime and [p.status for p in prime.periods][:3] == [
        "actual",
        "current",
        "projected",
    ]
    first = prime.periods[0]
    # The prime received the run and passed 30% down; its costs are the spec's £110,000 a
    # year x 60% of the work (the sub does 40%).
    assert first.actual_in == run.total
    assert first.actual_out == owed.amount + Decimal("110000") * Decimal("0.6")
    assert first.cumulative == first.actual_in - first.actual_out
    assert first.projected_in == 0 and first.cumulative_p5 is None
    current = prime.periods[1]
    assert current.projected_in > 0 and current.cumulative_p5 <= current.cumulative
    assert current.cumulative <= current.cumulative_p95
    sub = cash_timeline(chain["sub"], contract, contract.provider_id, today=today)
    assert not sub.is_prime  # a provider sees only its own timeline, whatever it asks for
    assert sub.periods[0].actual_in == owed.amount
    assert sub.periods[0].actual_out == Decimal("110000") * Decimal("0.4")
    with pytest.raises(PermissionDenied):
        cash_timeline(chain["other"], contract, None, today=today)
    for_commissioner = cash_timeline(chain["c"], contract, chain["sub_org"].id, today=today)
    assert for_commissioner.member.organisation_id == chain["sub_org"].id


# --- pages -------------------------------------------------------------------------------------


def test_contract_entry_and_supply_chain_pages(chain, signed_in):
    commissioner = signed_in(_member(chain, "c"))
    url = reverse("contract-new")
    assert commissioner.get(url).status_code == 200
    r = commissioner.post(url, {"title": "", "value": "-5", "kind": "contract"})
    body = r.content.decode()
    assert r.status_code == 400 and "Enter a title" in body and "above 0" in body
    r = commissioner.post(
        url,
        {
            "title": "Accommodation grant",
            "kind": "grant",
            "provider_id": str(chain["sub_org"].id),
            "value": "60000",
            "template": "womens-centre",
            "start_date": "2026-04-01",
            "end_date": "2027-03-31",
        },
    )
    grant = Contract.objects.get(title="Accommodation grant")
    assert (
        r.status_code == 302 and grant.kind == "grant" and "[[components]]" in grant.mechanism_toml
    )
    commissioner.logout()
    prime = signed_in(_member(chain, "prime"))
    chain_url = reverse("supply-chain", args=[chain["contract"].id])
    assert "Sub-contractor 2" in prime.get(chain_url).content.decode()
    form = {
        "rows": "2",
        "organisation_0": str(chain["sub_org"].id),
        "share_of_value_0": "30",
        "share_of_work_0": "40%",
        "payment_terms_days_0": "45",
        "upfront_share_0": "",
        "reason": "Partner",
    }
    r = prime.post(chain_url, form)
    assert r.status_code == 400 and "within 30 days" in r.content.decode()
    r = prime.post(chain_url, {**form, "payment_terms_days_0": "14"})
    assert r.status_code == 302
    member = chain["contract"].supply_chain.get(organisation=chain["sub_org"])
    assert member.share_of_value == Decimal("0.3") and member.share_of_work == Decimal("0.4")
    prime.logout()
    assert signed_in(_member(chain, "sub")).get(chain_url).status_code == 403


def test_participants_outcomes_and_claims_pages(chain, signed_in):
    first, second = _events(chain)
    _import(chain, chain["sub"], "case_reference,referred_on\nS001,2025-05-01\n")
    contract = chain["contract"]
    sub = signed_in(_member(chain, "sub"))
    people = reverse("participants", args=[contract.id])
    body = sub.get(people).content.decode()
    assert "1 participant" in body and "W001" not in body  # only its own
    csv = sub.get(people + "?format=csv").content.decode().splitlines()
    assert len(csv) == 2 and "S001" in csv[1]  # its own participant, with its case reference
    sub.logout()
    prime = signed_in(_member(chain, "prime"))
    outcomes = reverse("outcomes", args=[contract.id])
    assert "Not claimed" in prime.get(outcomes).content.decode()
    assert prime.post(outcomes, {"action": "claim", "id": str(first.id)}).status_code == 302
    prime.post(outcomes, {"action": "claim", "id": str(second.id)})
    r = prime.post(
        outcomes,
        {"action": "evidence", "id": str(second.id), "file": SimpleUploadedFile("a.pdf", b"nope")},
    )
    assert r.status_code == 400 and "not a real .pdf" in r.content.decode()
    r = prime.post(
        outcomes,
        {"action": "evidence", "id": str(second.id), "file": SimpleUploadedFile("a.pdf", PDF)},
    )
    assert r.status_code == 302
    prime.logout()
    commissioner = signed_in(_member(chain, "c"))
    claims = Claim.objects.order_by("id")
    r = commissioner.post(outcomes, {"action": "reject", "id": str(claims[0].id), "reason": ""})
    assert r.status_code == 400 and "reason" in r.content.decode()
    commissioner.post(outcomes, {"action": "accept", "id": str(claims[0].id)})
    commissioner.post(
        outcomes, {"action": "reject", "id": str(claims[1].id), "reason": "Hostel, not settled"}
    )
    assert [c.status for c in Claim.objects.order_by("id")] == ["accepted", "rejected"]
    page = commissioner.get(outcomes + "?status=rejected").content.decode()
    assert "Hostel, not settled" in page and "a.pdf" in page
    exported = commissioner.get(outcomes + "?format=csv").content.decode()
    assert "Accepted" in exported and "Rejected" in exported
    commissioner.logout()
    prime = signed_in(_member(chain, "prime"))
    prime.post(
        outcomes, {"action": "dispute", "id": str(claims[1].id), "grounds": "Tenancy signed"}
    )
    assert Claim.objects.get(id=claims[1].id).status == "disputed"
    assert prime.post(outcomes, {"action": "accept", "id": str(claims[1].id)}).status_code == 403


def test_reoffending_cash_and_kpi_pages(chain, signed_in):
    contract = chain["contract"]
    _with_sub(chain)
    commissioner = signed_in(_member(chain, "c"))
    url = reverse("reoffending-results", args=[contract.id])
    bad = RESULTS_HEADER + "2026-27,2025,reoffending_binary,many,0.3,0.4,0.01,,\n"
    r = commissioner.post(
        url, {"action": "results", "file": SimpleUploadedFile("r.csv", bad.encode())}
    )
    assert r.status_code == 400 and "row 2 column size" in r.content.decode()
    good = RESULTS_HEADER + "2026-27,2025,reoffending_binary,120,0.3,0.4,0.01,-0.17,-0.03\n"
    r = commissioner.post(
        url, {"action": "results", "file": SimpleUploadedFile("r.csv", good.encode())}
    )
    assert r.status_code == 302
    assert "-0.100 (-0.170 to -0.030)" in commissioner.get(url).content.decode()
    assert "reoffending_binary" in commissioner.get(url + "?format=csv").content.decode()
    detail = reverse("contract-detail", args=[contract.id])
    r = commissioner.post(
        detail,
        {
            "action": "kpi_add",
            "name": "Starts",
            "unit": "%",
            "target": "85",
            "higher_is_better": "yes",
        },
    )
    assert r.status_code == 302
    kpi = contract.kpis.get()
    commissioner.post(
        detail,
        {
            "action": "kpi_observe",
            "kpi": str(kpi.id),
            "period_start": "2025-04-01",
            "period_end": "2026-03-31",
            "value": "91.5",
        },
    )
    commissioner.post(
        detail, {"action": "milestone_add", "title": "Open", "due_date": "2025-06-30"}
    )
    milestone = contract.milestones.get()
    r = commissioner.post(
        detail,
        {"action": "milestone_met", "milestone": str(milestone.id), f"met_on-{milestone.id}": "x"},
    )
    assert r.status_code == 400 and f'id="met_on-{milestone.id}"' in r.content.decode()
    page = commissioner.get(detail).content.decode()
    assert "91.5 %" in page and "On target" in page
    assert "91.5" in commissioner.get(detail + "?table=kpis&format=csv").content.decode()
    assert "Open" in commissioner.get(detail + "?table=milestones&format=csv").content.decode()
    chain_csv = commissioner.get(detail + "?table=supply-chain&format=xlsx")
    assert chain_csv.content[:2] == b"PK"
    assert commissioner.get(detail + "?table=nothing&format=csv").status_code == 404
    cash = commissioner.get(reverse("cash-timeline", args=[contract.id]))
    assert cash.status_code == 200 and "Cash in and out by period" in cash.content.decode()
    # The chart is inline, periods named as the contract names them, and no "+N" labels.
    assert (
        '<svg class="fv-svg-chart"' in cash.content.decode() and "+7" not in cash.content.decode()
    )
    chart = commissioner.get(reverse("cash-chart", args=[contract.id]))
    assert chart["Content-Type"] == "image/svg+xml" and b"<svg" in chart.content
    xlsx = commissioner.get(reverse("cash-timeline", args=[contract.id]) + "?format=xlsx")
    assert xlsx.content[:2] == b"PK"
    commissioner.logout()
    other = signed_in(_member(chain, "other"))
    for name in ("reoffending-results", "cash-timeline", "participants", "outcomes"):
        assert other.get(reverse(name, args=[contract.id])).status_code == 403


def test_results_evidence_kpis_and_cash_through_the_api(client, chain, api_token):
    contract = chain["contract"]

    def auth(key):
        token = api_token(_member(chain, key))
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    base = f"/api/v1/contracts/{contract.id}"
    bad = RESULTS_HEADER + "2026-27,2025,reoffending_binary,many,0.3,0.4,0.01,,\n"
    r = client.post(
        f"{base}/reoffending-results",
        {"file": SimpleUploadedFile("r.csv", bad.encode())},
        **auth("c"),
    )
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"
    assert any(e.get("column") == "size" for e in r.json()["errors"])
    good = RESULTS_HEADER + "2026-27,2025,reoffending_binary,120,0.3,0.4,0.01,-0.17,-0.03\n"
    r = client.post(
        f"{base}/reoffending-results",
        {"file": SimpleUploadedFile("r.csv", good.encode())},
        **auth("c"),
    )
    assert r.status_code == 201 and Decimal(r.json()[0]["treated"]) == Decimal("0.3")
    r = client.post(
        f"{base}/reoffending-results",
        {"file": SimpleUploadedFile("r.csv", good.encode())},
        **auth("prime"),
    )
    assert r.status_code == 403
    listed = client.get(f"{base}/reoffending-results", **auth("prime")).json()["items"]
    assert [x["measure"] for x in listed] == ["reoffending_binary"]
    assert client.get(f"{base}/reoffending-results", **auth("other")).status_code == 403
    r = client.post(
        f"{base}/kpis",
        {"name": "Starts", "unit": "%", "target": "85", "higher_is_better": True},
        content_type="application/json",
        **auth("c"),
    )
    assert r.status_code == 201
    r = client.post(
        f"/api/v1/kpis/{r.json()['id']}/observations",
        {"period_start": "2025-04-01", "period_end": "2026-03-31", "value": "80"},
        content_type="application/json",
        **auth("prime"),
    )
    assert r.status_code == 201 and r.json()["on_target"] is False
    r = client.post(
        f"{base}/milestones",
        {"title": "Open", "due_date": "2025-06-30"},
        content_type="application/json",
        **auth("c"),
    )
    r = client.post(
        f"/api/v1/milestones/{r.json()['id']}/met",
        {"met_on": "2025-06-20"},
        content_type="application/json",
        **auth("c"),
    )
    assert r.json()["met_on"] == "2025-06-20"
    first, _ = _events(chain)
    r = client.post(
        f"/api/v1/events/{first.id}/evidence",
        {"file": SimpleUploadedFile("t.pdf", PDF)},
        **auth("prime"),
    )
    assert r.status_code == 200 and r.json()["evidence"] == "file:t.pdf"
    cash = client.get(f"{base}/cash", **auth("prime")).json()
    assert cash["is_prime"] and cash["periods"][0]["period"] == "2025-26"
    assert client.get(f"{base}/cash", **auth("other")).status_code == 403


def test_sampling_then_accepting_the_rest(chain, signed_in):
    from fullvalue.web.delivery.services import claims_accept_unsampled, claims_sample

    _with_sub(chain)
    _people(chain, 20)
    for person in Participant.objects.all():
        event = OutcomeEvent.objects.create(
            participant=person, outcome="settled_accommodation", occurred_on=dt.date(2025, 9, 1)
        )
        claim_submit(actor=chain["prime"], event_id=event.id)
    contract = chain["contract"]
    with pytest.raises(Conflict, match="sample first"):
        claims_accept_unsampled(actor=chain["c"], contract_id=contract.id)
    with pytest.raises(PermissionDenied):
        claims_sample(actor=chain["prime"], contract_id=contract.id, percent=10)
    with pytest.raises(FullvalueError):
        claims_sample(actor=chain["c"], contract_id=contract.id, percent=0)
    chosen = claims_sample(actor=chain["c"], contract_id=contract.id, percent=12)
    assert len(chosen) == 3  # 12% of 20, rounded up
    event = AuditEvent.objects.get(action="claims.sample")
    assert sorted(event.changes["claims"][1]) == sorted(c.id for c in chosen)
    with pytest.raises(Conflict, match="Decide the 3 sampled"):
        claims_accept_unsampled(actor=chain["c"], contract_id=contract.id)
    client = signed_in(_member(chain, "c"))
    url = reverse("outcomes", args=[contract.id])
    page = client.get(url + "?status=sampled").content.decode()
    assert page.count("In a sample</strong>") == 3
    for claim in chosen[:2]:
        claim_decide(actor=chain["c"], claim_id=claim.id, accept=True)
    claim_decide(actor=chain["c"], claim_id=chosen[2].id, accept=False, reason="No tenancy")
    assert "Accept the other 17 submitted claims" in client.get(url).content.decode()
    assert client.post(url, {"action": "accept_rest"}).status_code == 302
    statuses = Claim.objects.values_list("status", flat=True)
    assert sorted(statuses) == ["accepted"] * 19 + ["rejected"]
    r = client.post(url, {"action": "sample", "percent": "10"})
    assert r.status_code == 400 and "no submitted claims left" in r.content.decode()


def test_delivery_pages_query_counts_do_not_grow_with_rows(chain, signed_in):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    contract = chain["contract"]
    client = signed_in(_member(chain, "c"))

    def count(url):
        client.get(url)  # the first request of a minute also refreshes the session
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    urls = [reverse(name, args=[contract.id]) for name in ("participants", "outcomes")]
    _people(chain, 3)
    for person in Participant.objects.all():
        OutcomeEvent.objects.create(
            participant=person, outcome="settled_accommodation", occurred_on=dt.date(2025, 9, 1)
        )
    small = [count(url) for url in urls]
    more = Participant.objects.bulk_create(
        Participant(
            contract=contract,
            provider=contract.provider,
            pseudonym=f"q{i:04d}",
            referred_on=dt.date(2025, 5, 1),
        )
        for i in range(20)
    )
    for person in more:
        OutcomeEvent.objects.create(
            participant=person, outcome="settled_accommodation", occurred_on=dt.date(2025, 9, 2)
        )
    assert [count(url) for url in urls] == small


def test_the_approve_button_is_shown_only_to_those_who_may_approve(chain, signed_in):
    contract = chain["contract"]
    _people(chain, 5)
    run = payrun_prepare(actor=chain["c"], contract_id=contract.id, period="2025-26")
    url = reverse("contract-detail", args=[contract.id])
    button = f"Approve {run.period}</button>"
    preparer = signed_in(_member(chain, "c")).get(url).content.decode()
    assert button not in preparer
    assert "you prepared this run, so another commissioner must approve it" in preparer
    second = signed_in(_member(chain, "c2")).get(url).content.decode()
    assert button in second and "you prepared this run" not in second
    prime = signed_in(_member(chain, "prime")).get(url).content.decode()
    assert button not in prime
    assert "Only the contract&#39;s commissioner approves payment runs." in prime


def test_import_templates_download_with_the_contracts_own_outcomes(chain, signed_in):
    from fullvalue.web.delivery.services import contract_measures

    contract = chain["contract"]
    client = signed_in(_member(chain, "prime"))
    url = reverse("import-upload", args=[contract.id])
    assert "?template=events" in client.get(url).content.decode()
    events = client.get(url + "?template=events").content.decode().splitlines()
    assert events[0] == "case_reference,outcome,occurred_on,evidence"
    assert events[1].split(",")[1] in contract_measures(contract)
    people = client.get(url + "?template=participants").content.decode().splitlines()
    assert people[0].startswith("case_reference,full_name,date_of_birth,referred_on")


def test_a_reimported_participant_with_different_data_is_an_error_naming_the_differences(chain):
    header = "case_reference,referred_on,started_on,left_on,sex\n"
    first = header + "RE1,2025-04-01,2025-04-08,,female\nRE2,2025-04-02,,,male\n"
    _import(chain, chain["prime"], first)
    assert Participant.objects.filter(contract=chain["contract"]).count() == 2
    # The same file again: nothing to say, nothing new.
    _, same = import_preview(
        actor=chain["prime"],
        contract_id=chain["contract"].id,
        filename="p.csv",
        content=first.encode(),
    )
    assert same.problems == [] and len(same.valid) == 2
    changed = header + "RE1,2025-04-01,2025-04-08,2025-09-01,female\nRE2,2025-04-03,,,male\n"
    _, preview = import_preview(
        actor=chain["prime"],
        contract_id=chain["contract"].id,
        filename="p.csv",
        content=changed.encode(),
    )
    assert preview.valid == []
    by_row = {p.row: p for p in preview.problems}
    assert by_row[2].column == "left_on"
    assert "left_on: 2025-09-01 in the file, empty on Fullvalue" in by_row[2].reason
    assert by_row[3].column == "referred_on"
    assert "referred_on: 2025-04-03 in the file, 2025-04-02 on Fullvalue" in by_row[3].reason
    assert by_row[3].location == "p.csv row 3, column referred_on"
