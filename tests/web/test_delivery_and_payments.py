"""Contracts in delivery: supply chain, pseudonymised participants and imports, claims,
payment runs with the two-person rule, and flow-down to sub-contractors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fullvalue.errors import Conflict, FullvalueError, PermissionDenied
from fullvalue.web.audit.models import AuditEvent
from fullvalue.web.contracts.services import supply_chain_set
from fullvalue.web.delivery import selectors as delivery
from fullvalue.web.delivery.models import Claim, OutcomeEvent, Participant, ParticipantIdentity
from fullvalue.web.delivery.services import (
    claim_decide,
    claim_dispute,
    claim_submit,
    import_preview,
    import_run,
    import_start,
)
from fullvalue.web.payruns.models import FlowDownPayment, PaymentRun
from fullvalue.web.payruns.selectors import payment_record
from fullvalue.web.payruns.services import (
    flowdown_confirm,
    payrun_approve,
    payrun_prepare,
)
from fullvalue.web.payruns.tasks import prepare_payment_run
from tests.web.delivery_data import PEOPLE

pytestmark = pytest.mark.django_db


def test_supply_chain_rules_and_variation(chain):
    contract, prime = chain["contract"], chain["prime"]
    with pytest.raises(FullvalueError) as exc:
        supply_chain_set(
            actor=prime,
            contract_id=contract.id,
            reason="Add partner",
            members=[
                {
                    "organisation_id": chain["sub_org"].id,
                    "share_of_value": "1.2",
                    "share_of_work": "0.4",
                    "payment_terms_days": 45,
                }
            ],
        )
    reasons = " ".join(p.reason for p in exc.value.problems)
    assert "within 30 days" in reasons and "between 0 and 1" in reasons
    with pytest.raises(PermissionDenied):
        supply_chain_set(actor=chain["other"], contract_id=contract.id, reason="x", members=[])
    supply_chain_set(
        actor=prime,
        contract_id=contract.id,
        reason="Women's mentoring partner",
        members=[
            {
                "organisation_id": chain["sub_org"].id,
                "share_of_value": "0.3",
                "share_of_work": "0.4",
                "payment_terms_days": 14,
            }
        ],
    )
    shares = {m.organisation_id: m.share_of_value for m in contract.supply_chain.all()}
    assert shares == {
        prime.organisation_id: Decimal("0.7000"),
        chain["sub_org"].id: Decimal("0.3000"),
    }
    variation = contract.variations.get()
    assert variation.reason == "Women's mentoring partner" and variation.changes["supply_chain"]


def _import(chain, actor, text, valid_only=True, name="people.csv"):
    job, parsed = import_preview(
        actor=actor, contract_id=chain["contract"].id, filename=name, content=text.encode()
    )
    import_start(actor=actor, job_id=job.id, valid_rows_only=valid_only)
    return job, parsed, import_run(job.id)


def test_participant_import_names_every_bad_row_and_is_idempotent(chain):
    supply_chain_set(
        actor=chain["prime"],
        contract_id=chain["contract"].id,
        reason="partner",
        members=[
            {
                "organisation_id": chain["sub_org"].id,
                "share_of_value": "0.3",
                "share_of_work": "0.4",
            }
        ],
    )
    job, parsed = import_preview(
        actor=chain["sub"],
        contract_id=chain["contract"].id,
        filename="people.csv",
        content=PEOPLE.encode(),
    )
    by_row = {}
    for p in parsed.problems:
        by_row.setdefault(p.row, []).append((p.column, p.reason))
    assert by_row[5][0][0] == "case_reference"
    assert by_row[6] == [
        ("referred_on", "'2025-02-30' is not a real date (use 2026-03-31 or 31/03/2026)")
    ]
    assert by_row[7][0] == ("started_on", "started_on is before referred_on")
    assert by_row[8][0][0] == "sex"
    assert "also appears in row 2" in by_row[9][0][1]
    assert len(parsed.valid) == 3 and parsed.bad_rows == 5
    with pytest.raises(FullvalueError, match="nothing was imported"):
        import_start(actor=chain["sub"], job_id=job.id, valid_rows_only=False)
    assert Participant.objects.count() == 0
    import_start(actor=chain["sub"], job_id=job.id, valid_rows_only=True)
    result = import_run(job.id)
    assert result["created"] == 3 and Participant.objects.count() == 3
    assert import_run(job.id) == result  # the worker crashing and retrying writes nothing twice
    from fullvalue.web.audit.models import AuditEvent
    from fullvalue.web.audit.verify import verify_audit

    trail = AuditEvent.objects.filter(object_type="import", object_id=str(job.id)).order_by("seq")
    assert [(e.action, e.actor_email) for e in trail] == [
        ("import.start", chain["sub"].email),
        ("import.participants", chain["sub"].email),  # the batch, in its own transaction
        ("import.finish", chain["sub"].email),
    ]
    assert trail[1].changes["created"] == [None, 3]
    assert trail[2].changes["already_there"] == [None, 0]
    _, _, again = _import(chain, chain["sub"], PEOPLE)
    assert again["created"] == 0 and again["already_there"] == 3
    assert (
        not AuditEvent.objects.filter(action="import.participants")
        .exclude(object_id=str(job.id))
        .exists()
    )  # a batch that writes nothing records nothing
    assert verify_audit().ok
    person = Participant.objects.first()
    assert len(person.pseudonym) == 64 and "W00" not in person.pseudonym
    assert ParticipantIdentity.objects.get(participant=person).case_reference.startswith("W00")


def test_providers_see_only_their_own_participants_and_identities(chain):
    supply_chain_set(
        actor=chain["prime"],
        contract_id=chain["contract"].id,
        reason="partner",
        members=[
            {
                "organisation_id": chain["sub_org"].id,
                "share_of_value": "0.3",
                "share_of_work": "0.4",
            }
        ],
    )
    _import(chain, chain["sub"], PEOPLE)
    _import(chain, chain["prime"], "case_reference,referred_on\nP1,2025-04-01\n")
    contract = chain["contract"]
    assert delivery.participants_for(chain["sub_staff"], contract).count() == 3
    assert delivery.participants_for(chain["prime"], contract).count() == 1
    assert delivery.participants_for(chain["c"], contract).count() == 4
    sub_person = delivery.participants_for(chain["sub"], contract).first()
    assert delivery.can_read_identity(chain["sub_staff"], sub_person)
    assert not delivery.can_read_identity(chain["prime"], sub_person)
    with pytest.raises(PermissionDenied):
        import_preview(
            actor=chain["other"],
            contract_id=contract.id,
            filename="x.csv",
            content=b"case_reference,referred_on\nX,2025-04-01\n",
        )
    summary = delivery.equality_summary(chain["c"], contract)
    assert ("female", "fewer than 5") in summary["sex"]


def test_claims_accept_reject_dispute(chain):
    _import(chain, chain["prime"], PEOPLE)
    _, parsed, result = _import(
        chain,
        chain["prime"],
        "case_reference,outcome,occurred_on,evidence\nW001,settled_accommodation,2025-09-01,"
        "tenancy\nW002,settled_accommodation,2025-10-01,tenancy\nW404,settled_accommodation,"
        "2025-10-01,x\nW003,jobs,2025-10-01,x\n",
        name="events.csv",
    )
    assert result["created"] == 2 and result["unknown_participant"] == 1
    assert any("pays for" in p.reason for p in parsed.problems)
    first, second = OutcomeEvent.objects.order_by("id")
    c1 = claim_submit(actor=chain["prime"], event_id=first.id)
    c2 = claim_submit(actor=chain["prime"], event_id=second.id)
    with pytest.raises(Conflict):
        claim_submit(actor=chain["prime"], event_id=first.id)
    with pytest.raises(FullvalueError, match="reason"):
        claim_decide(actor=chain["c"], claim_id=c2.id, accept=False)
    claim_decide(actor=chain["c"], claim_id=c1.id, accept=True)
    claim_decide(actor=chain["c"], claim_id=c2.id, accept=False, reason="No tenancy evidence")
    claim_dispute(actor=chain["prime"], claim_id=c2.id, grounds="Tenancy uploaded now")
    assert Claim.objects.get(id=c2.id).status == "disputed"
    claim_decide(actor=chain["c"], claim_id=c2.id, accept=True)
    assert Claim.objects.filter(status="accepted").count() == 2


def test_payment_run_two_person_rule_flow_down_and_no_double_payment(chain):
    contract = chain["contract"]
    supply_chain_set(
        actor=chain["prime"],
        contract_id=contract.id,
        reason="partner",
        members=[
            {
                "organisation_id": chain["sub_org"].id,
                "share_of_value": "0.3",
                "share_of_work": "0.4",
                "payment_terms_days": 14,
            }
        ],
    )
    _import(chain, chain["prime"], PEOPLE)
    _import(
        chain,
        chain["prime"],
        "case_reference,outcome,occurred_on\n"
        "W001,settled_accommodation,2025-09-01\nW002,settled_accommodation,2025-10-01\n",
        name="events.csv",
    )
    for event in OutcomeEvent.objects.all():
        claim_decide(
            actor=chain["c"],
            claim_id=claim_submit(actor=chain["prime"], event_id=event.id).id,
            accept=True,
        )
    run = payrun_prepare(actor=chain["c"], contract_id=contract.id, period="2025-26")
    # 70% of £450,000 over 3 years = £105,000 guaranteed; 2 accommodation outcomes × £250.
    assert run.total == Decimal("105500.00")
    with pytest.raises(PermissionDenied, match="Two-person"):
        payrun_approve(actor=chain["c"], run_id=run.id)
    payrun_approve(actor=chain["c2"], run_id=run.id, paid_on=dt.date(2026, 4, 10))
    owed = FlowDownPayment.objects.get()
    # 30% of £105,500.00 = £31,650.00, due 14 days after the prime was paid.
    assert owed.amount == Decimal("31650.00") and owed.due_on == dt.date(2026, 4, 24)
    with pytest.raises(Conflict):
        payrun_approve(actor=chain["c2"], run_id=run.id)
    again = payrun_prepare(actor=chain["c"], contract_id=contract.id, period="2025-26")
    assert again.total == Decimal("0") and again.lines == []  # nothing is paid twice
    with pytest.raises(Conflict):
        payrun_approve(actor=chain["c2"], run_id=again.id)  # one approved run per period
    assert PaymentRun.objects.filter(status="approved").count() == 1
    with pytest.raises(PermissionDenied):
        flowdown_confirm(actor=chain["prime"], payment_id=owed.id, paid_on=dt.date(2026, 4, 20))
    flowdown_confirm(actor=chain["sub"], payment_id=owed.id, paid_on=dt.date(2026, 4, 20))
    record = payment_record(contract, today=dt.date(2026, 5, 1))
    assert record.average_days_to_pay == 10 and record.share_within_30_days == 1
    assert AuditEvent.objects.filter(action="payrun.approve").exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    total=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000000"), places=2),
    shares=st.lists(st.integers(min_value=1, max_value=1000), min_size=2, max_size=6),
)
def test_flow_down_parts_always_sum_to_the_payment(chain, total, shares):
    """Whatever the shares, what the prime keeps plus what it owes equals the payment."""
    from django.db import transaction

    with transaction.atomic():
        _check_flow_down(chain, total, shares)
        transaction.set_rollback(True)  # each example starts from the same contract


def _check_flow_down(chain, total, shares):
    from fullvalue.web.contracts.models import SupplyChainMember
    from fullvalue.web.organisations.models import Organisation
    from fullvalue.web.payruns.services import flow_down

    contract = chain["contract"]
    SupplyChainMember.objects.filter(contract=contract).exclude(
        organisation_id=contract.provider_id
    ).delete()
    weight_sum = sum(shares)
    members = list(SupplyChainMember.objects.filter(contract=contract))
    members[0].share_of_value = Decimal(shares[0]) / weight_sum
    members[0].save()
    for i, s in enumerate(shares[1:]):
        org = Organisation.objects.create(
            name=f"Sub {i}", slug=f"sub-{i}-{s}-{total}", legal_form="cic", sector="voluntary"
        )
        SupplyChainMember.objects.create(
            contract=contract,
            organisation=org,
            role="subcontractor",
            share_of_value=(Decimal(s) / weight_sum).quantize(Decimal("0.0001")),
            share_of_work=Decimal(0),
        )
    run = PaymentRun.objects.create(
        contract=contract,
        period=f"p{total}",
        total=total,
        lines=[],
        prepared_by_id=chain["c"].user_id,
        status="approved",
        paid_on=dt.date(2026, 1, 1),
    )
    payments = flow_down(run)
    from fullvalue.engine.payments import allocate_largest_remainder

    weights = [
        m.share_of_value for m in SupplyChainMember.objects.filter(contract=contract).order_by("id")
    ]
    parts = allocate_largest_remainder(total, weights)
    assert sum(parts) == total
    assert sum(p.amount for p in payments) == total - parts[0]


def test_contract_pages(client, signed_in, chain):
    """Public sees the supply chain and its payment record; insiders see delivery and runs;
    the page enforces the two-person rule too."""
    from django.urls import reverse

    from fullvalue.web.accounts.models import Membership

    contract = chain["contract"]
    url = reverse("contract-detail", args=[contract.id])
    public = client.get(url).content.decode()
    assert "Supply chain" in public and "Payment runs" not in public
    assert "Women&#39;s centre" in client.get(reverse("contract-list")).content.decode()
    assert contract.title in client.get(reverse("contract-list") + "?format=csv").content.decode()
    commissioner = signed_in(Membership.objects.get(id=chain["c"].membership_id))
    r = commissioner.post(url, {"action": "prepare", "period": "2025-26"})
    assert r.status_code == 302
    run = PaymentRun.objects.get()
    assert run.status == "preparing" and "Being prepared" in commissioner.get(url).content.decode()
    r = commissioner.post(url, {"action": "prepare", "period": "2025-26"})
    assert r.status_code == 400 and "already being prepared" in r.content.decode()
    r = commissioner.post(url, {"action": "approve", "run": str(run.id)})
    assert r.status_code == 400 and "still being prepared" in r.content.decode()
    prepare_payment_run.call(run.id)  # what the worker does
    assert PaymentRun.objects.get().total == Decimal("105000.00")
    r = commissioner.post(url, {"action": "approve", "run": str(run.id)})
    assert r.status_code == 400 and "Two-person rule" in r.content.decode()
    assert PaymentRun.objects.get().status == "prepared"


def test_import_pages_check_then_import_in_the_background(signed_in, chain):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from fullvalue.web.accounts.models import Membership
    from fullvalue.web.delivery.models import ImportJob

    client = signed_in(Membership.objects.get(id=chain["prime"].membership_id))
    url = reverse("import-upload", args=[chain["contract"].id])
    assert client.get(url).status_code == 200
    r = client.post(url, {"file": SimpleUploadedFile("people.csv", PEOPLE.encode())})
    assert r.status_code == 302
    page = client.get(r.url).content.decode()
    assert "5 with problems" in page and "is not a real date" in page
    client.post(r.url, {"valid_rows_only": "yes"})
    job = ImportJob.objects.get()
    assert job.status == "queued"
    progress = client.get(reverse("import-progress", args=[job.id])).json()
    assert progress == {"status": "queued", "processed": 0, "total": 8}
    import_run(job.id)  # what the worker does
    assert "Import complete" in client.get(r.url).content.decode()
    assert Participant.objects.count() == 3


def test_remittance_statement_page_csv_pdf(signed_in, chain):
    from django.urls import reverse

    from fullvalue.web.accounts.models import Membership

    run = payrun_prepare(actor=chain["c"], contract_id=chain["contract"].id, period="2025-26")
    prime = signed_in(Membership.objects.get(id=chain["prime"].membership_id))
    url = reverse("remittance", args=[run.id])
    assert "£105,000.00" in prime.get(url).content.decode()
    assert "guaranteed" in prime.get(url + "?format=csv").content.decode()
    assert prime.get(url + "?format=pdf").content.startswith(b"%PDF")
    prime.logout()
    other = signed_in(Membership.objects.get(id=chain["other"].membership_id))
    assert other.get(url).status_code == 403


def test_delivery_through_the_api(client, chain, api_token):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fullvalue.web.accounts.models import Membership

    def auth(key):
        token = api_token(Membership.objects.get(id=chain[key].membership_id))
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    contract = chain["contract"]
    r = client.put(
        f"/api/v1/contracts/{contract.id}/supply-chain",
        {
            "reason": "partner",
            "members": [
                {
                    "organisation_id": chain["sub_org"].id,
                    "share_of_value": "0.3",
                    "share_of_work": "0.3",
                    "payment_terms_days": 60,
                }
            ],
        },
        content_type="application/json",
        **auth("prime"),
    )
    assert r.status_code == 422 and "within 30 days" in str(r.json()["errors"])
    r = client.post(
        f"/api/v1/contracts/{contract.id}/imports",
        {"file": SimpleUploadedFile("p.csv", PEOPLE.encode())},
        **auth("prime"),
    )
    assert r.status_code == 201 and r.json()["bad_rows"] == 5
    job = r.json()["id"]
    r = client.post(f"/api/v1/imports/{job}/start", **auth("prime"))
    assert r.status_code == 422  # bad rows and not asked for valid rows only
    r = client.post(f"/api/v1/imports/{job}/start?valid_rows_only=true", **auth("prime"))
    assert r.json()["status"] == "queued"
    import_run(job)
    people = client.get(f"/api/v1/contracts/{contract.id}/participants", **auth("prime")).json()
    assert len(people["items"]) == 3 and "full_name" not in people["items"][0]
    assert (
        client.get(f"/api/v1/contracts/{contract.id}/participants", **auth("other")).status_code
        == 403
    )
    r = client.post(
        f"/api/v1/contracts/{contract.id}/payment-runs",
        {"period": "2025-26"},
        content_type="application/json",
        **auth("c"),
    )
    run = r.json()
    assert r.status_code == 201 and run["total"] == "105000.00"
    r = client.post(
        f"/api/v1/payment-runs/{run['id']}/approve",
        {},
        content_type="application/json",
        **auth("c"),
    )
    assert r.status_code == 403 and r["Content-Type"] == "application/problem+json"
    r = client.post(
        f"/api/v1/payment-runs/{run['id']}/approve",
        {"paid_on": "2026-04-10"},
        content_type="application/json",
        **auth("c2"),
    )
    assert r.json()["status"] == "approved"
    public = client.get(f"/api/v1/contracts/{contract.id}").json()
    assert public["payment_record"]["payments"] == 0  # the prime has no sub-contractor yet


def test_participant_row_numbers_survive_blank_rows(chain):
    text = "case_reference,referred_on\nA1,2025-04-01\n\n,\nA2,2025-02-30\n"
    _, parsed = import_preview(
        actor=chain["prime"],
        contract_id=chain["contract"].id,
        filename="gaps.csv",
        content=text.encode(),
    )
    assert [p.row for p in parsed.problems] == [5] and len(parsed.valid) == 1
