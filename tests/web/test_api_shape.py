"""The API's shape: typed answers, documented errors, 401s, one pagination, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fullvalue.domain.roles import Role
from tests.web.cycle import START, contents, programme_data, tender_data

pytestmark = pytest.mark.django_db

WRITES = ("post", "put", "patch", "delete")


def _schema(client):
    return client.get("/api/v1/openapi.json").json()


def _operations(schema):
    return [
        (path, method, op)
        for path, methods in schema["paths"].items()
        for method, op in methods.items()
    ]


def _component(schema, ref):
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _is_typed(schema, node):
    """A schema is typed when it is, or lists, an object with named properties."""
    if "$ref" in node:
        return bool(_component(schema, node["$ref"]).get("properties"))
    if node.get("type") == "array":
        return _is_typed(schema, node["items"])
    return False


def test_every_answer_is_typed_and_every_error_documented(client):
    schema = _schema(client)
    operations = _operations(schema)
    # 67 + bid drafts, confirmations, submit + audit checkpoints + unfinished programme drafts
    # + returns (list, submit) + market summary + community budgets (list, one) + 360Giving
    # + a contract's social value
    # + the Right to Challenge register
    assert len(operations) == 86
    untyped, undocumented = [], []
    for path, method, op in operations:
        for status, response in op["responses"].items():
            if str(status).startswith("2"):
                body = response["content"]["application/json"]["schema"]
                if not _is_typed(schema, body):
                    untyped.append(f"{method} {path} {status}")
        writes = method in WRITES and path != "/api/v1/risk-preview"  # a simulation
        expected = {"400", "401", "403", "404", "422", "429"} | ({"409"} if writes else set())
        documented = {str(s) for s in op["responses"]}
        problems = {
            str(s)
            for s, r in op["responses"].items()
            if r["content"]["application/json"]["schema"].get("$ref", "").endswith("/ProblemOut")
        }
        if not expected <= documented & problems:
            undocumented.append(f"{method} {path}: {sorted(expected - problems)}")
    assert untyped == [] and undocumented == []
    ids = [op["operationId"] for _, _, op in operations]
    assert len(ids) == len(set(ids))


def test_uploads_document_413(client):
    schema = _schema(client)
    for path in (
        "/api/v1/contracts/{contract_id}/imports",
        "/api/v1/events/{event_id}/evidence",
        "/api/v1/contracts/{contract_id}/reoffending-results",
    ):
        assert "413" in schema["paths"][path]["post"]["responses"]


def assert_401(response):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "unauthenticated"


def test_missing_or_bad_token_is_401_not_a_csrf_403(make_member):
    strict = Client(enforce_csrf_checks=True)  # as a real machine client meets the API
    body = {"title": "x"}
    assert_401(strict.post("/api/v1/programmes", body, content_type="application/json"))
    assert_401(
        strict.post(
            "/api/v1/programmes",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION="Bearer fv_nope_nope",
        )
    )
    assert_401(strict.delete("/api/v1/memberships/1"))
    assert_401(strict.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer garbage"))
    assert_401(strict.get("/api/v1/contracts", HTTP_AUTHORIZATION="Bearer garbage"))


def test_a_browser_session_still_needs_its_csrf_token(signed_in, make_member):
    session = signed_in(make_member(Role.COMMISSIONER))
    session.handler.enforce_csrf_checks = True
    r = session.post("/api/v1/programmes", {}, content_type="application/json")
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    assert session.get("/api/v1/me").status_code == 200  # reads need no CSRF token


def _token(api_token, actor):
    from fullvalue.web.accounts.models import Membership

    membership = Membership.objects.get(id=actor.membership_id)
    header = {"HTTP_AUTHORIZATION": f"Bearer {api_token(membership)}"}
    Client().get("/api/v1/me", **header)  # a token's first use is recorded once
    return header


def _contract(commissioner, provider_id, title):
    from fullvalue.web.contracts.services import contract_create

    return contract_create(
        actor=commissioner,
        data={"title": title, "provider_id": provider_id, "value": "1000"},
    )


def test_contracts_are_paginated_with_their_fields(client, chain):
    for i in range(4):
        _contract(chain["c"], chain["prime"].organisation_id, f"Contract {i}")
    seen, url = [], "/api/v1/contracts?limit=2"
    while url:
        body = client.get(url).json()
        assert len(body["items"]) <= 2
        seen += [c["id"] for c in body["items"]]
        url = body["links"]["next"]
    assert len(seen) == len(set(seen)) == 5
    first = client.get(f"/api/v1/contracts/{chain['contract'].id}").json()
    assert set(first) >= {
        "id",
        "title",
        "kind",
        "status",
        "commissioner",
        "provider",
        "value",
        "supply_chain",
        "payment_record",
    }
    assert first["value"] == "450000.00" and first["supply_chain"][0]["payment_terms_days"] == 30


def _queries(client, url, **extra):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


def test_contract_list_queries_do_not_grow_with_contracts(client, chain):
    from fullvalue.web.contracts.services import supply_chain_set

    def grow(n):
        for i in range(n):
            c = _contract(chain["c"], chain["prime"].organisation_id, f"More {i}")
            supply_chain_set(
                actor=chain["c"],
                contract_id=c.id,
                members=[
                    {
                        "organisation_id": chain["sub_org"].id,
                        "share_of_value": "0.2",
                        "share_of_work": "0.2",
                        "payment_terms_days": 14,
                    }
                ],
                reason="partner",
            )

    grow(1)
    few, body = _queries(client, "/api/v1/contracts")
    assert len(body["items"]) == 2
    grow(6)
    many, body = _queries(client, "/api/v1/contracts")
    assert len(body["items"]) == 8 and len(body["items"][-1]["supply_chain"]) == 2
    # contracts (with commissioner and provider), their supply chains, their flow-down payments
    assert many == few <= 3


def _published_tender(world):
    from fullvalue.web.programmes.services import programme_create
    from fullvalue.web.tendering.services import tender_create, tender_publish

    c = world["commissioner"]
    programme = programme_create(actor=c, data=programme_data())
    tender = tender_create(actor=c, programme_id=programme.id, data=tender_data())
    return tender_publish(actor=c, tender_id=tender.id)


def test_tender_list_queries_do_not_grow_with_tenders(client, world, clock):
    _published_tender(world)
    few, body = _queries(client, "/api/v1/tenders")
    assert len(body["items"]) == 1
    for _ in range(3):
        _published_tender(world)
    many, body = _queries(client, "/api/v1/tenders")
    assert len(body["items"]) == 4
    # tenders (with programme and commissioner), lots, criteria, published answers
    assert many == few <= 4


def test_programme_list_queries_do_not_grow(client, world, clock):
    from fullvalue.web.programmes.services import programme_create, programme_publish

    def add():
        p = programme_create(actor=world["commissioner"], data=programme_data())
        programme_publish(actor=world["commissioner"], programme_id=p.id)

    add()
    few, _ = _queries(client, "/api/v1/programmes")
    for _ in range(4):
        add()
    many, body = _queries(client, "/api/v1/programmes")
    assert len(body["items"]) == 5 and many == few <= 2


def test_bid_list_queries_do_not_grow_with_bids(client, world, clock, api_token):
    from fullvalue.web.tendering.services import bid_submit

    tender = _published_tender(world)
    lot = tender.lots.order_by("number").first()
    url = f"/api/v1/lots/{lot.id}/bids"

    def bid(key, price):
        bid_submit(actor=world[key], lot_id=lot.id, contents=contents(tender, price, 2))

    bid("women", "410000")
    clock["now"] = START + dt.timedelta(days=60)  # after the submission deadline
    commissioner = _token(api_token, world["commissioner"])
    few, body = _queries(client, url, **commissioner)
    assert len(body["items"]) == 1
    clock["now"] = START
    bid("mentors", "400000")
    bid("prime", "390000")
    clock["now"] = START + dt.timedelta(days=60)
    many, body = _queries(client, url, **commissioner)
    assert len(body["items"]) == 3 and many == few


def _claims(chain, n, start):
    from fullvalue.web.delivery.models import Claim, OutcomeEvent, Participant

    contract = chain["contract"]
    for i in range(start, start + n):
        person = Participant.objects.create(
            contract=contract,
            provider_id=contract.provider_id,
            pseudonym=f"P{i:04d}",
            referred_on=dt.date(2025, 5, 1),
        )
        event = OutcomeEvent.objects.create(
            participant=person, outcome="accommodation", occurred_on=dt.date(2025, 9, 1)
        )
        Claim.objects.create(event=event)


def test_claim_list_queries_do_not_grow_with_claims(client, chain, api_token):
    url = f"/api/v1/contracts/{chain['contract'].id}/claims"
    commissioner = _token(api_token, chain["c"])
    _claims(chain, 1, 0)
    few, body = _queries(client, url, **commissioner)
    assert len(body["items"]) == 1 and body["items"][0]["pseudonym"] == "P0000"
    _claims(chain, 5, 1)
    many, body = _queries(client, url, **commissioner)
    assert len(body["items"]) == 6 and many == few
    assert client.get(url, **_token(api_token, chain["other"])).status_code == 403


def _runs(chain, n, start):
    from fullvalue.web.accounts.models import Membership
    from fullvalue.web.contracts.models import SupplyChainMember
    from fullvalue.web.payruns.models import FlowDownPayment, PaymentRun

    contract = chain["contract"]
    preparer = Membership.objects.get(id=chain["c"].membership_id).user
    prime = SupplyChainMember.objects.get(contract=contract, organisation_id=contract.provider_id)
    for i in range(start, start + n):
        run = PaymentRun.objects.create(
            contract=contract,
            period=f"P{i}",
            total=Decimal("100.00"),
            lines=[],
            prepared_by=preparer,
        )
        FlowDownPayment.objects.create(
            run=run, member=prime, amount=Decimal("10.00"), due_on=dt.date(2026, 1, 1)
        )


def test_run_list_queries_do_not_grow_with_runs(client, chain, api_token):
    url = f"/api/v1/contracts/{chain['contract'].id}/payment-runs"
    commissioner = _token(api_token, chain["c"])
    _runs(chain, 1, 0)
    few, body = _queries(client, url, **commissioner)
    assert len(body["items"]) == 1 and body["items"][0]["flow_down"][0]["amount"] == "10.00"
    _runs(chain, 4, 1)
    many, body = _queries(client, url, **commissioner)
    assert len(body["items"]) == 5 and many == few
    assert client.get(url, **_token(api_token, chain["other"])).status_code == 403


def test_owed_and_membership_lists_are_pages(client, chain, api_token, make_member):
    prime = _token(api_token, chain["prime"])
    owed = client.get("/api/v1/owed", **prime).json()
    assert owed == {"items": [], "next_cursor": None, "links": {"next": None}}
    org = chain["prime"].organisation_id
    for _ in range(3):
        make_member(Role.PROVIDER_STAFF, organisation=chain["contract"].provider)
    _, body = _queries(client, f"/api/v1/organisations/{org}/memberships?limit=2", **prime)
    assert len(body["items"]) == 2 and body["links"]["next"]
    rest = client.get(body["links"]["next"], **prime).json()
    assert len(rest["items"]) == 2 and rest["links"]["next"] is None


def _errors(response):
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    return {e.get("column"): e["reason"] for e in response.json()["errors"]}


def test_impossible_or_oversized_input_is_a_422_naming_the_field(client, world, clock, api_token):
    """The inputs that answered 500 (issue 14, finding 5) are refused at the edge."""
    from fullvalue.web.tendering.services import interest_register

    commissioner = _token(api_token, world["commissioner"])
    tender = _published_tender(world)
    interest_register(actor=world["women"], tender_id=tender.id)

    def send(method, url, body):
        return getattr(client, method)(url, body, content_type="application/json", **commissioner)

    bad_date = {**tender_data(), "submission_deadline": "2026-02-30T10:00:00Z"}
    r = send("post", f"/api/v1/programmes/{tender.programme_id}/tenders", bad_date)
    assert "submission_deadline" in _errors(r)
    amendment = {"summary": "later", "changes": {"submission_deadline": "2027-02-30T10:00:00Z"}}
    r = send("post", f"/api/v1/tenders/{tender.id}/amendments", amendment)
    assert "submission_deadline" in _errors(r)
    lots = tender_data()["lots"]
    lots[0]["value"] = "1e30"
    r = send("put", f"/api/v1/tenders/{tender.id}", {**tender_data(), "lots": lots})
    assert "value" in _errors(r)


def test_contract_and_supply_chain_input_is_checked_at_the_edge(client, chain, api_token):
    commissioner = _token(api_token, chain["c"])
    contract = chain["contract"]

    def send(method, url, body):
        return getattr(client, method)(url, body, content_type="application/json", **commissioner)

    body = {"title": "Huge", "provider_id": chain["prime"].organisation_id, "value": "1e30"}
    assert "value" in _errors(send("post", "/api/v1/contracts", body))
    assert "value" in _errors(send("post", "/api/v1/contracts", {**body, "value": "10.001"}))
    member = {
        "organisation_id": chain["sub_org"].id,
        "share_of_value": "0.2",
        "share_of_work": "0.2",
        "payment_terms_days": -5,
    }
    url = f"/api/v1/contracts/{contract.id}/supply-chain"
    r = send("put", url, {"reason": "partner", "members": [member]})
    assert "payment_terms_days" in _errors(r)
    r = send("put", url, {"reason": "partner", "members": [{**member, "organisation_id": "abc"}]})
    errors = _errors(r)
    assert "organisation_id" in errors and "payment_terms_days" in errors
    assert client.get(f"/api/v1/contracts/{2**40}").status_code == 422  # not a 500
    assert contract.supply_chain.count() == 1  # nothing half written
