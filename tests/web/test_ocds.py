"""OCDS 1.1 publication: the release package, records, sealing, merging, pagination and the rules.

The world is demo-like: four tenders at different stages on 1 March 2027 — awarded (with an
amendment, a consortium and a sub-contractor), in standstill, under evaluation, and open for bids
(one sealed bid, and a hostile title) — plus a draft that must never appear.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fullvalue.domain.roles import Role
from fullvalue.web.organisations.models import Identifier, Organisation
from fullvalue.web.programmes.services import programme_create
from fullvalue.web.publication import ocds
from fullvalue.web.tendering.models import Tender
from fullvalue.web.tendering.services import (
    award_confirm,
    award_decide,
    bid_draft_save,
    bid_party_confirm,
    bid_submit,
    bid_submit_draft,
    conflict_declare,
    consensus_set,
    panel_assign,
    scores_submit,
    tender_amend,
    tender_close,
    tender_create,
    tender_publish,
)
from tests.web.factories import OrganisationFactory
from tests.web.ocds_rules import (
    check_record_package,
    check_release,
    check_release_package,
)

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
UTC = dt.UTC
NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
SEALED_PRICE = "123456.78"
HOSTILE = 'Mentoring "2027" </script><script>alert(1)</script> \\ \u2028 & <b>more</b>'
RELEASES = "/api/v1/ocds/releases"


def at(month, day, hour=9):
    return dt.datetime(2027, month, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    state = {"now": at(1, 4)}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])
    return state


@pytest.fixture
def prefix(settings):
    return settings.OCID_PREFIX


def programme_data(title):
    return {
        "title": title,
        "summary": "Holistic women's centres.",
        "cohort": "Women on community orders and licence",
        "volume_low": 120,
        "volume_expected": 150,
        "volume_high": 180,
        "budget": "1350000",
        "years": 3,
        "outcomes": ["proven-reoffending-binary", "accommodation-settled"],
        "areas": ["E12000005"],
        "delivery_setting": "mixed",
        "current_provision": "Probation-run groups.",
        "what_must_change": "Women-only spaces, run by and for women.",
        "mechanism_toml": (EXAMPLES / "womens-centre" / "contract.toml").read_text(),
    }


def tender_data(title, published, procedure="open", lots=1):
    lot_rows = [{"title": "Birmingham", "area": "E12000005", "value": "450000"}]
    if lots == 2:
        lot_rows.append(
            {"title": "Black country (small organisations)", "value": "300000.50"}
            | {"reserved_for_small": True}
        )
    return {
        "title": title,
        "description": "Women's centres across the region.",
        "procedure": procedure,
        "consortium_deadline": (published + dt.timedelta(days=21)).isoformat(),
        "clarification_deadline": (published + dt.timedelta(days=28)).isoformat(),
        "submission_deadline": (published + dt.timedelta(days=37)).isoformat(),
        "lots": lot_rows,
        "criteria": [
            {"name": "Price", "kind": "price", "weight": "30"},
            {"name": "Service design", "kind": "quality", "weight": "40", "question": "How?"},
            {"name": "Working with lived experience", "kind": "quality", "weight": "15"},
            {"name": "Social value", "kind": "social_value", "weight": "15"},
        ],
        "pass_fail": ["Do you hold £5m public liability insurance?"],
    }


def contents(tender, price, jobs):
    return {
        "price": price,
        "answers": {str(c.id): "We will." for c in tender.criteria.filter(kind="quality")},
        "social_value": [
            {"measure": "Jobs for prison leavers", "unit": "job", "quantity": jobs}
            | {"proxy_value": "12000"}
        ],
        "pass_fail": {str(q.id): True for q in tender.pass_fail.all()},
        "declarations": {"conflicts": "", "exclusion_grounds": False},
    }


def evaluate(w, tender, marks, notice_date):
    """Close, score (one evaluator), moderate and award every lot of a tender."""
    c, ev = w["commissioner"], w["ev"]
    tender_close(actor=c, tender_id=tender.id)
    panel_assign(actor=c, tender_id=tender.id, evaluator_membership_id=ev.membership_id)
    conflict_declare(actor=ev, tender_id=tender.id, has_conflict=False)
    quality = list(tender.criteria.filter(kind="quality"))
    for lot in tender.lots.all():
        for bid in lot.bids.filter(status="submitted"):
            mark = marks[bid.lead_id]
            scores_submit(
                actor=ev, bid_id=bid.id, scores={q.id: (mark, "Evidence") for q in quality}
            )
            for q in quality:
                consensus_set(
                    actor=c, bid_id=bid.id, criterion_id=q.id, score=mark, reason="Agreed"
                )
        award_decide(actor=c, lot_id=lot.id, notice_date=notice_date)


@pytest.fixture
def world(make_member, actor_for, clock):
    commissioner = make_member(
        Role.COMMISSIONER, legal_form="pcc", sector="public", annual_income=None
    )
    Identifier.objects.create(
        organisation=commissioner.organisation, value="GB-GOR-PB123", is_primary=True
    )
    ev = make_member(Role.EVALUATOR, organisation=commissioner.organisation)
    women = make_member(Role.PROVIDER_ADMIN, annual_income=420_000, town="Birmingham")
    Identifier.objects.create(organisation=women.organisation, value="GB-COH-01234567")
    mentors = make_member(Role.PROVIDER_ADMIN, annual_income=86_000)
    prime = make_member(
        Role.PROVIDER_ADMIN,
        legal_form="private_company",
        sector="private",
        annual_income=64_000_000,
    )
    advice = OrganisationFactory(legal_form="cic", sector="voluntary", annual_income=150_000)
    actors = {
        k: actor_for(v)
        for k, v in {
            "commissioner": commissioner,
            "ev": ev,
            "women": women,
            "mentors": mentors,
            "prime": prime,
        }.items()
    }
    advice_admin = actor_for(make_member(Role.PROVIDER_ADMIN, organisation=advice))
    return actors | {"advice": advice, "advice_admin": advice_admin}


@pytest.fixture
def cycle(world, clock):
    """Build the four tenders in time order; the clock ends at 1 March 2027, noon."""
    w, c = world, world["commissioner"]
    women, mentors = w["women"].organisation_id, w["mentors"].organisation_id
    prime = w["prime"].organisation_id
    programme = programme_create(actor=c, data=programme_data("Women's Rehabilitation Service"))

    def publish(title, when, **kwargs):
        clock["now"] = when
        tender = tender_create(
            actor=c, programme_id=programme.id, data=tender_data(title, when, **kwargs)
        )
        return tender_publish(actor=c, tender_id=tender.id, now=when)

    # 1. Awarded: two lots, a consortium with a sub-contractor, an amendment.
    awarded = publish("Women's centres 2027", at(1, 4), lots=2)
    lot1, lot2 = awarded.lots.all()
    clock["now"] = at(1, 5)
    consortium = [
        {"organisation_id": women, "role": "lead", "share_of_value": "0.6"}
        | {"share_of_work": "0.6", "carries_working_capital": True},
        {"organisation_id": mentors, "role": "member", "share_of_value": "0.3"}
        | {"share_of_work": "0.3"},
        {"organisation_id": w["advice"].id, "role": "subcontractor", "share_of_value": "0.1"}
        | {"share_of_work": "0.1"},
    ]
    draft = bid_draft_save(
        actor=w["women"],
        lot_id=lot1.id,
        contents=contents(awarded, "410000", 6),
        parties=consortium,
    )
    for partner in (w["mentors"], w["advice_admin"]):  # each partner confirms its part
        bid_party_confirm(actor=partner, bid_id=draft.id)
    bid_submit_draft(actor=w["women"], bid_id=draft.id)
    bid_submit(actor=w["prime"], lot_id=lot1.id, contents=contents(awarded, "380000", 2))
    bid_submit(actor=w["mentors"], lot_id=lot2.id, contents=contents(awarded, "290000", 1))
    clock["now"] = at(1, 9)
    original_deadline = awarded.submission_deadline
    tender_amend(
        actor=c,
        tender_id=awarded.id,
        summary="Deadline extended by a day.",
        changes={"submission_deadline": (original_deadline + dt.timedelta(days=1)).isoformat()},
    )

    # 2. In standstill (competitive flexible) and 3. under evaluation (grant).
    standstill = publish("Resettlement 2027", at(1, 11), procedure="competitive_flexible")
    clock["now"] = at(1, 12)
    lot = standstill.lots.get()
    bid_submit(actor=w["women"], lot_id=lot.id, contents=contents(standstill, "400000", 4))
    bid_submit(actor=w["prime"], lot_id=lot.id, contents=contents(standstill, "350000", 1))
    evaluation = publish("Family support grants 2027", at(1, 18), procedure="grant")
    clock["now"] = at(1, 19)
    lot = evaluation.lots.get()
    bid_submit(actor=w["mentors"], lot_id=lot.id, contents=contents(evaluation, "200000", 1))
    bid_submit(actor=w["prime"], lot_id=lot.id, contents=contents(evaluation, "210000", 1))

    # The deadlines pass, in order; the open tender is published meanwhile.
    clock["now"] = at(2, 11, 10)
    evaluate(w, awarded, {women: 4, prime: 2, mentors: 3}, dt.date(2027, 2, 11))
    clock["now"] = at(2, 17, 10)
    evaluate(w, standstill, {women: 4, prime: 2}, dt.date(2027, 2, 17))
    open_ = publish(HOSTILE, at(2, 22))
    clock["now"] = at(2, 23)
    bid_submit(
        actor=w["mentors"], lot_id=open_.lots.get().id, contents=contents(open_, SEALED_PRICE, 1)
    )
    clock["now"] = at(2, 24, 10)
    tender_close(actor=c, tender_id=evaluation.id)
    clock["now"] = at(2, 26, 10)
    for lot in awarded.lots.all():
        award_confirm(actor=c, lot_id=lot.id, today=dt.date(2027, 2, 26))

    # A draft, never published.
    clock["now"] = at(2, 27)
    draft = tender_create(
        actor=c, programme_id=programme.id, data=tender_data("Secret draft", at(2, 27))
    )
    clock["now"] = NOW
    return {
        "awarded": awarded,
        "standstill": standstill,
        "evaluation": evaluation,
        "open": open_,
        "draft": draft,
        "original_deadline": original_deadline,
    } | w


def get_package(client, url=RELEASES + "?limit=200"):
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def get_record(client, tender):
    response = client.get(f"/api/v1/ocds/records/{ocds.ocid_for(tender)}")
    assert response.status_code == 200, response.content
    return response, response.json()["records"][0]


def by_ocid(package, tender):
    return [r for r in package["releases"] if r["ocid"] == ocds.ocid_for(tender)]


def party_named(release, name):
    return next(p for p in release["parties"] if p["name"] == name)


def test_the_package_and_every_record_pass_the_rules(client, cycle, prefix, settings):
    package = get_package(client)
    assert check_release_package(package, ocid_prefix=prefix) == []
    assert package["version"] == "1.1" and package["publisher"]["name"] == settings.SERVICE_NAME
    assert package["uri"].startswith("http://testserver/api/v1/ocds/releases")
    assert package["publishedDate"] == "2027-03-01T12:00:00Z"
    assert all(url.endswith("/extension.json") for url in package["extensions"])
    assert "links" not in package  # one page: no next
    ocids = {r["ocid"] for r in package["releases"]}
    assert ocids == {
        ocds.ocid_for(cycle[k]) for k in ("awarded", "standstill", "evaluation", "open")
    }
    for key in ("awarded", "standstill", "evaluation", "open"):
        response, record = get_record(client, cycle[key])
        assert check_record_package(response.json(), ocid_prefix=prefix) == []
        for release in record["releases"]:
            assert release["initiationType"] == "tender" and release["language"] == "en"
            assert release["id"].startswith(f"{record['ocid']}-")


def test_ocid_is_the_configured_prefix_and_the_reference(client, cycle, settings):
    settings.OCID_PREFIX = "ocds-abc123"
    package = get_package(client)
    assert {r["ocid"] for r in by_ocid(package, cycle["awarded"])} == {
        f"ocds-abc123-{cycle['awarded'].reference}"
    }
    assert check_release_package(package, ocid_prefix="ocds-abc123") == []
    assert (
        client.get(f"/api/v1/ocds/records/ocds-fullvalue-{cycle['awarded'].reference}").status_code
        == 404
    )


def test_drafts_are_never_published(client, cycle):
    package = get_package(client)
    assert "Secret draft" not in json.dumps(package)
    response = client.get(f"/api/v1/ocds/records/{ocds.ocid_for(cycle['draft'])}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_sealed_information_is_absent_before_the_deadline_and_present_after(client, cycle, clock):
    open_ = cycle["open"]
    response, record = get_record(client, open_)
    text = response.content.decode()
    assert [r["tag"] for r in record["releases"]] == [["planning"], ["tender"]]
    bidder = Organisation.objects.get(id=cycle["mentors"].organisation_id).name
    for release in [*record["releases"], record["compiledRelease"]]:
        assert "bids" not in release and "awards" not in release
        tender = release.get("tender", {})
        assert "tenderers" not in tender and "numberOfTenderers" not in tender
        assert [p["roles"] for p in release["parties"]] == [["buyer", "procuringEntity"]]
    assert SEALED_PRICE not in text and "123456" not in text
    assert SEALED_PRICE not in json.dumps(get_package(client))
    assert bidder not in text
    assert "tenderer" not in text

    clock["now"] = open_.submission_deadline + dt.timedelta(seconds=1)
    response, record = get_record(client, open_)
    compiled = record["compiledRelease"]
    assert record["releases"][-1]["tag"] == ["tenderUpdate"]
    assert record["releases"][-1]["date"] == ocds._when(open_.submission_deadline)
    stats = {s["measure"]: s["value"] for s in compiled["bids"]["statistics"]}
    assert stats == {"bids": 1, "smeBids": 1, "vcseFinalStageBids": 1}
    assert compiled["tender"]["numberOfTenderers"] == 1
    mentors = compiled["tender"]["tenderers"][0]
    assert party_named(compiled, mentors["name"])["roles"] == ["tenderer"]
    # Prices are published only as award values: an unawarded bid's price stays unpublished.
    assert SEALED_PRICE not in response.content.decode()


def test_award_is_pending_in_standstill_and_active_once_confirmed(client, cycle, clock):
    tender = cycle["standstill"]
    _, record = get_record(client, tender)
    compiled = record["compiledRelease"]
    (award,) = compiled["awards"]
    assert award["status"] == "pending" and "contracts" not in compiled
    assert award["relatedLots"] == ["1"] and award["value"] == {"amount": 400000, "currency": "GBP"}
    assert award["date"] == "2027-02-17T10:00:00Z"
    # Standstill from the notice on Wednesday 17 February to the end of Friday 26 February
    # (UK time, GMT in February), as fullvalue.domain.calendar.standstill_end counts it.
    assert award["standstillPeriod"] == {
        "startDate": "2027-02-17T00:00:00Z",
        "endDate": "2027-02-26T23:59:59Z",
    }
    assert award["hasSubcontracting"] is False and "subcontracting" not in award
    assert compiled["tender"]["status"] == "active"
    assert compiled["tender"]["procurementMethod"] == "selective"
    assert "Competitive flexible" in compiled["tender"]["procurementMethodDetails"]

    clock["now"] = at(3, 2, 10)
    award_confirm(
        actor=cycle["commissioner"], lot_id=tender.lots.get().id, today=dt.date(2027, 3, 2)
    )
    _, record = get_record(client, tender)
    compiled = record["compiledRelease"]
    assert [a["status"] for a in compiled["awards"]] == ["active"]
    assert compiled["awards"][0]["value"]["amount"] == 400000  # kept from the award release
    (contract,) = compiled["contracts"]
    assert contract["awardID"] == compiled["awards"][0]["id"]
    assert contract["status"] == "pending" and contract["value"]["amount"] == 400000
    assert compiled["tender"]["status"] == "complete"
    assert record["releases"][-1]["tag"] == ["awardUpdate", "contract", "tenderUpdate"]
    # The award release itself is unchanged: it still says what was true then.
    award_release = next(r for r in record["releases"] if r["tag"] == ["award"])
    assert award_release["awards"][0]["status"] == "pending"


def test_the_compiled_record_merges_by_the_ocds_rules(client, cycle, prefix):
    tender = cycle["awarded"]
    ocid = ocds.ocid_for(tender)
    _, record = get_record(client, tender)
    ids = [r["id"].removeprefix(f"{ocid}-") for r in record["releases"]]
    assert ids == [
        "planning-1",
        "tender-1",
        "tender-2",
        "bids-1",
        "award-1",
        "award-2",
        "contract-1",
        "contract-2",
    ]
    first, amended = record["releases"][1], record["releases"][2]
    amended_deadline = cycle["original_deadline"] + dt.timedelta(days=1)
    assert first["tender"]["tenderPeriod"]["endDate"] == ocds._when(cycle["original_deadline"])
    assert amended["tender"]["tenderPeriod"]["endDate"] == ocds._when(amended_deadline)
    assert amended["tag"] == ["tenderAmendment"]

    assert_merge_rules_cover(record["releases"])
    compiled = record["compiledRelease"]
    assert compiled["tag"] == ["compiled"] and compiled["ocid"] == ocid
    assert compiled["date"] == record["releases"][-1]["date"]
    assert check_release(compiled, ocid_prefix=prefix) == []
    # Later releases override: the amended deadline, the final status.
    assert compiled["tender"]["tenderPeriod"]["endDate"] == ocds._when(amended_deadline)
    assert compiled["tender"]["status"] == "complete"
    assert [a["description"] for a in compiled["tender"]["amendments"]] == [
        "Deadline extended by a day."
    ]
    # Arrays of objects merge by id: lots keep their title and gain their final status ...
    assert [(lot["id"], lot["title"], lot["status"]) for lot in compiled["tender"]["lots"]] == [
        ("1", "Birmingham", "complete"),
        ("2", "Black country (small organisations)", "complete"),
    ]
    assert compiled["tender"]["lots"][1]["value"] == {"amount": 300000.5, "currency": "GBP"}
    weights = [
        (c["type"], c["name"], c["numbers"][0]["number"])
        for c in compiled["tender"]["lots"][0]["awardCriteria"]["criteria"]
    ]
    assert weights == [
        ("price", "Price", 30),
        ("quality", "Service design", 40),
        ("quality", "Working with lived experience", 15),
        ("quality", "Social value", 15),
    ]
    # ... awards keep value and suppliers from the award release and status from the contract.
    award = compiled["awards"][0]
    assert award["status"] == "active" and award["value"]["amount"] == 410000
    women, mentors = (party_named(compiled, s["name"]) for s in award["suppliers"])
    assert mentors["roles"] == ["tenderer", "supplier"] and mentors["details"]["scale"] == "sme"
    assert women["roles"] == ["tenderer", "supplier"]
    assert women["identifier"]["scheme"] in ("GB-CHC", "GB-COH")
    assert {women["identifier"]["scheme"], women["additionalIdentifiers"][0]["scheme"]} == {
        "GB-CHC",
        "GB-COH",
    }
    assert women["details"] == {"scale": "sme", "vcse": True}
    assert women["address"]["locality"] == "Birmingham"
    assert "contactPoint" not in women and "contact" not in json.dumps(compiled)
    # Sub-contracting from the winning bid's shares: 10% of £410,000 = £41,000.
    assert award["hasSubcontracting"] is True
    assert award["subcontracting"]["minimumPercentage"] == 0.1
    assert award["subcontracting"]["maximumPercentage"] == 0.1
    assert award["subcontracting"]["value"] == {"amount": 41000, "currency": "GBP"}
    sub = award["subcontracting"]["subcontracts"][0]["subcontractor"]
    assert party_named(compiled, sub["name"])["roles"] == ["subcontractor"]
    assert sub["id"] == f"fullvalue-org-{cycle['advice'].id}"  # no org-id: a local id
    prime = next(p for p in compiled["parties"] if p["details"].get("scale") == "large")
    assert prime["roles"] == ["tenderer"] and prime["details"]["vcse"] is False
    buyer = party_named(compiled, compiled["buyer"]["name"])
    assert buyer["roles"] == ["buyer", "procuringEntity"] and buyer["id"] == "GB-GOR-PB123"
    assert "scale" not in buyer["details"]
    # Bid statistics merge by id: counts from the deadline, valid bids from the award.
    stats = {(s["relatedLot"], s["measure"]): s["value"] for s in compiled["bids"]["statistics"]}
    assert stats == {
        ("1", "bids"): 2,
        ("1", "smeBids"): 1,
        ("1", "vcseFinalStageBids"): 1,
        ("2", "bids"): 1,
        ("2", "smeBids"): 1,
        ("2", "vcseFinalStageBids"): 1,
        ("1", "validBids"): 2,
        ("2", "validBids"): 1,
    }
    assert [c["id"] for c in compiled["contracts"]] == ["contract-1", "contract-2"]
    assert compiled["planning"]["budget"]["amount"] == {"amount": 1350000, "currency": "GBP"}
    assert compiled["planning"]["rationale"] == "Women-only spaces, run by and for women."


def test_merge_rules():
    """ocdsmerge by the OCDS rules: null removes, non-object arrays are replaced, objects with an
    id merge by id, and arrays listed as whole-list merges (award criteria) are replaced."""
    criteria = ("tender", "lots", "awardCriteria", "criteria")
    assert ocds.MERGE_RULES[criteria] == "wholeListMerge"
    first = {
        "ocid": "o",
        "id": "1",
        "date": "2027-01-01T00:00:00Z",
        "tag": ["tender"],
        "a": 1,
        "b": {"c": 2, "d": 3},
        "list": [1, 2],
        "objs": [{"id": "1", "x": 1}],
        "tender": {"lots": [{"id": "1", "awardCriteria": {"criteria": [{"name": "Price"}]}}]},
    }
    second = {
        "ocid": "o",
        "id": "2",
        "date": "2027-01-02T00:00:00Z",
        "tag": ["tenderUpdate"],
        "b": {"c": None, "e": 5},
        "list": [3],
        "objs": [{"id": "1", "y": 2}, {"id": "2"}],
        "tender": {"lots": [{"id": "1", "awardCriteria": {"criteria": [{"name": "Quality"}]}}]},
    }
    assert ocds.compile_release([second, first]) == {
        "ocid": "o",
        "id": "o-2027-01-02T00:00:00Z",
        "date": "2027-01-02T00:00:00Z",
        "tag": ["compiled"],
        "a": 1,
        "b": {"d": 3, "e": 5},  # null removes a field
        "list": [3],  # arrays of non-objects are replaced
        "objs": [{"id": "1", "x": 1, "y": 2}, {"id": "2"}],  # objects with ids merge by id
        # the later release wins, whatever order they come in; a whole-list array is replaced
        "tender": {"lots": [{"id": "1", "awardCriteria": {"criteria": [{"name": "Quality"}]}}]},
    }


def arrays_without_ids(data, path=()):
    """Paths (no indexes) of every array holding an object that has no ``id``."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from arrays_without_ids(value, (*path, key))
    elif isinstance(data, list):
        if any(isinstance(item, dict) and "id" not in item for item in data):
            yield path
        for item in data:
            yield from arrays_without_ids(item, path)


def assert_merge_rules_cover(releases):
    """Every published array of objects without ids is merged whole (or inside one that is)."""
    whole = {p for p, rule in ocds.MERGE_RULES.items() if rule == "wholeListMerge"}
    found = {p for r in releases for p in arrays_without_ids(r)}
    uncovered = {p for p in found if not any(p[: len(w)] == w for w in whole)}
    assert uncovered == set()


def test_procurement_methods_and_the_grant(client, cycle):
    package = get_package(client)
    tender_of = {
        key: by_ocid(package, cycle[key])[1]["tender"] for key in ("awarded", "evaluation")
    }
    assert tender_of["awarded"]["procurementMethod"] == "open"
    assert tender_of["evaluation"]["procurementMethod"] == "open"
    assert tender_of["evaluation"]["procurementMethodDetails"] == "Grant competition"
    assert tender_of["awarded"]["mainProcurementCategory"] == "services"
    assert "Social value (social value) 15%" in tender_of["awarded"]["awardCriteriaDetails"]
    evaluation = by_ocid(package, cycle["evaluation"])
    assert [r["tag"] for r in evaluation] == [["planning"], ["tender"], ["tenderUpdate"]]
    assert evaluation[-1]["tender"]["numberOfTenderers"] == 2


def test_pagination_walks_every_release_once(client, cycle, prefix):
    everything = [r["id"] for r in get_package(client)["releases"]]
    seen, url, pages = [], RELEASES + "?limit=1", 0
    while url:
        package = get_package(client, url)
        assert check_release_package(package, ocid_prefix=prefix) == []
        seen += [r["id"] for r in package["releases"]]
        assert len({r["ocid"] for r in package["releases"]}) == 1  # one process per page
        url = package.get("links", {}).get("next")
        pages += 1
    assert pages == 4
    assert sorted(seen) == sorted(everything) and len(seen) == len(set(seen))
    assert client.get(RELEASES + "?limit=0").status_code == 400
    assert client.get(RELEASES + "?cursor=nonsense").status_code == 400


def test_a_hostile_title_comes_out_escaped(client, cycle):
    response, record = get_record(client, cycle["open"])
    raw = response.content.decode()
    assert record["compiledRelease"]["tender"]["title"] == HOSTILE
    assert record["releases"][1]["tender"]["title"] == HOSTILE
    assert '"2027"' not in raw and '\\"2027\\"' in raw  # quotes escaped
    assert "\u2028" not in raw  # line separator escaped
    assert json.loads(raw)["records"][0]["ocid"] == ocds.ocid_for(cycle["open"])


def test_queries_do_not_grow_with_the_number_of_processes(client, cycle):
    with CaptureQueriesContext(connection) as one:
        get_package(client, RELEASES + "?limit=1")
    with CaptureQueriesContext(connection) as four:
        get_package(client, RELEASES + "?limit=4")
    # Tenders, their lots, criteria, amendments and buyer ids; bids, parties, party ids, awards.
    # Constant in the number of processes (bids, awards, runs and milestones: one query each).
    assert len(four) == len(one) <= 13


def release(**changes):
    base = {
        "ocid": "ocds-abc123-FV-1",
        "id": "ocds-abc123-FV-1-tender-1",
        "date": "2027-01-04T09:00:00Z",
        "tag": ["tender"],
        "initiationType": "tender",
        "parties": [{"id": "GB-CHC-1", "name": "A charity", "roles": ["supplier"]}],
        "tender": {"id": "FV-1", "status": "active", "value": {"amount": 1, "currency": "GBP"}},
        "awards": [
            {
                "id": "award-1",
                "status": "pending",
                "suppliers": [{"id": "GB-CHC-1", "name": "A charity"}],
            }
        ],
    }
    return base | changes


def test_the_rules_catch_violations():
    assert check_release(release(), ocid_prefix="ocds-abc123") == []
    no_ocid = release()
    del no_ocid["ocid"]
    problems = check_release(no_ocid, ocid_prefix="ocds-abc123")
    assert [(p.location, p.reason) for p in problems] == [("ocid", "ocid is required")]

    def reasons(**changes):
        return {
            p.location: p.reason
            for p in check_release(release(**changes), ocid_prefix="ocds-abc123")
        }

    assert "RFC 3339" in reasons(date="2027-01-04 09:00")["date"]  # no T, no timezone
    assert "RFC 3339" in reasons(date="2027-01-04T09:00:00")["date"]  # no timezone
    assert "RFC 3339" in reasons(date="2027-02-30T09:00:00Z")["date"]  # no such day
    assert "releaseTag" in reasons(tag=["tender", "bogus"])["tag/1"]
    assert "initiationType" in reasons(initiationType="auction")["initiationType"]
    assert "prefix" in reasons(ocid="FV-1")["ocid"]
    assert "our prefix" in reasons(ocid="ocds-zzz999-FV-1")["ocid"]
    bad_tender = {"id": "FV-1", "status": "open", "value": {"amount": "1", "currency": "POUNDS"}}
    found = reasons(tender=bad_tender)
    assert "tenderStatus" in found["tender/status"]
    assert "number" in found["tender/value/amount"]
    assert "currency" in found["tender/value/currency"]
    ghost = [{"id": "award-1", "status": "won", "suppliers": [{"id": "nobody", "name": "X"}]}]
    found = reasons(awards=ghost)
    assert "awardStatus" in found["awards/0/status"]
    assert "no party" in found["awards/0/suppliers/0/id"]
    found = reasons(parties=[{"id": "GB-CHC-1", "name": "A charity", "roles": ["winner"]}])
    assert "partyRole" in found["parties/0/roles/0"]
    assert "does not have the role 'supplier'" in found["awards/0/suppliers/0"]
    found = reasons(contracts=[{"id": "c", "awardID": "award-9", "status": "signed"}])
    assert (
        "no award" in found["contracts/0/awardID"]
        and "contractStatus" in found["contracts/0/status"]
    )
    sub = {"id": "award-1", "hasSubcontracting": True, "subcontracting": {"maximumPercentage": 30}}
    assert "proportion" in reasons(awards=[sub])["awards/0/subcontracting/maximumPercentage"]

    package = {"uri": "releases.json", "version": "1.0", "publisher": {}, "releases": [no_ocid]}
    problems = {p.location: p.reason for p in check_release_package(package, ocid_prefix="x")}
    assert {"publishedDate", "publisher/name", "uri", "version", "releases/0/ocid"} <= set(problems)


def test_the_demo_world_publishes_valid_ocds(client, prefix):
    from fullvalue.web.demo.world import build_demo_world

    build_demo_world()
    package = get_package(client)
    assert check_release_package(package, ocid_prefix=prefix) == []
    by_process = {}
    for release in package["releases"]:
        by_process.setdefault(release["ocid"], []).append(release)
    assert len(by_process) == 5  # open, under evaluation, in standstill (twice), awarded
    assert_merge_rules_cover(package["releases"])
    compiled = {ocid: ocds.compile_release(rs) for ocid, rs in by_process.items()}
    for ocid, release in compiled.items():
        assert check_release(release, ocid_prefix=prefix) == [], ocid
    statuses = sorted(
        (r["tender"]["status"], tuple(a["status"] for a in r.get("awards", [])), "bids" in r)
        for r in compiled.values()
    )
    assert statuses == [
        ("active", (), False),  # open for bids: sealed
        ("active", (), True),  # under evaluation: bid statistics, no award
        ("active", ("pending",), True),  # in standstill
        ("active", ("pending",), True),  # standstill over, contract not yet created
        ("complete", ("active",), True),  # awarded, with its contract
    ]


def test_a_cancelled_tender_publishes_its_cancellation_and_never_its_bids(
    client, cycle, clock, prefix
):
    open_ = cycle["open"]
    Tender.objects.filter(id=open_.id).update(status="cancelled", updated_at=at(3, 1, 11))
    clock["now"] = open_.submission_deadline + dt.timedelta(days=1)  # the deadline passes too
    response, record = get_record(client, open_)
    assert [r["tag"] for r in record["releases"]] == [
        ["planning"],
        ["tender"],
        ["tenderCancellation"],
    ]
    compiled = record["compiledRelease"]
    assert compiled["tender"]["status"] == "cancelled"
    assert [lot["status"] for lot in compiled["tender"]["lots"]] == ["cancelled"]
    assert "bids" not in compiled and "tenderers" not in compiled["tender"]
    assert SEALED_PRICE not in response.content.decode()
    assert check_record_package(response.json(), ocid_prefix=prefix) == []


def test_implementation_carries_payments_milestones_and_metrics(client, world, clock):
    """A confirmed contract's approved payment runs, milestones and KPI values appear as
    implementation; KPI targets as agreed metrics."""
    import datetime as dt
    from decimal import Decimal

    from fullvalue.web.contracts.models import Contract, Kpi, KpiObservation, Milestone
    from fullvalue.web.payruns.models import PaymentRun
    from fullvalue.web.programmes.services import programme_create
    from fullvalue.web.tendering.models import Tender
    from fullvalue.web.tendering.services import (
        award_confirm,
        award_decide,
        bid_submit,
        conflict_declare,
        consensus_set,
        panel_assign,
        scores_submit,
        tender_close,
        tender_create,
        tender_publish,
    )
    from tests.web.cycle import START, contents, programme_data, tender_data
    from tests.web.ocds_rules import check_record_package

    c = world["commissioner"]
    programme = programme_create(actor=c, data=programme_data())
    tender = tender_create(actor=c, programme_id=programme.id, data=tender_data())
    tender_publish(actor=c, tender_id=tender.id, now=START)
    lot = tender.lots.first()
    bid = bid_submit(actor=world["women"], lot_id=lot.id, contents=contents(tender, "410000", 3))
    clock["now"] = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    tender_close(actor=c, tender_id=tender.id)
    panel_assign(actor=c, tender_id=tender.id, evaluator_membership_id=world["ev"].membership_id)
    conflict_declare(actor=world["ev"], tender_id=tender.id, has_conflict=False)
    quality = list(tender.criteria.filter(kind="quality"))
    scores_submit(actor=world["ev"], bid_id=bid.id, scores={q.id: (4, "ok") for q in quality})
    for q in quality:
        consensus_set(actor=c, bid_id=bid.id, criterion_id=q.id, score=4, reason="Agreed")
    award_decide(actor=c, lot_id=lot.id, notice_date=dt.date(2027, 3, 1))
    contract = award_confirm(actor=c, lot_id=lot.id, today=dt.date(2027, 3, 20))
    Milestone.objects.create(
        contract=contract,
        title="Centre opens",
        due_date=dt.date(2027, 5, 1),
        met_on=dt.date(2027, 4, 28),
    )
    PaymentRun.objects.create(
        contract=contract,
        period="2027-Q1",
        status="approved",
        total=Decimal("37500.00"),
        lines=[],
        prepared_by_id=world["commissioner"].user_id,
        approved_at=dt.datetime(2027, 4, 30, tzinfo=dt.UTC),
    )
    kpi = Kpi.objects.create(
        contract=contract, name="Starts within 10 days", unit="%", target=Decimal("85")
    )
    KpiObservation.objects.create(
        kpi=kpi,
        period_start=dt.date(2027, 4, 1),
        period_end=dt.date(2027, 6, 30),
        value=Decimal("87.50"),
    )
    ocid = f"ocds-fullvalue-{Tender.objects.get(id=tender.id).reference}"
    package = client.get(f"/api/v1/ocds/records/{ocid}").json()
    assert check_record_package(package, ocid_prefix="ocds-fullvalue") == []
    assert any("ocds_metrics_extension" in url for url in package["extensions"])
    compiled = package["records"][0]["compiledRelease"]
    implementation = compiled["contracts"][0]["implementation"]
    assert implementation["transactions"][0]["value"] == {"amount": 37500, "currency": "GBP"}
    assert implementation["milestones"][0]["status"] == "met"
    (metric,) = implementation["metrics"]
    assert metric["title"] == "Starts within 10 days"
    assert metric["observations"][0]["measure"] == 87.5
    assert metric["observations"][0]["period"]["endDate"] == "2027-06-30T22:59:59Z"
    (agreed,) = compiled["contracts"][0]["agreedMetrics"]
    assert agreed["observations"][0] == {
        "id": f"kpi-{kpi.id}-target",
        "measure": 85,
        "unit": {"name": "%"},
    }
    assert Contract.objects.count() == 1


def test_the_contract_carries_its_period_and_signature_and_the_award_its_real_date(client):
    """A contract in delivery since 1 April 2025 publishes that period, the day it was signed
    (created from the award), and its award is dated on the award notice's day, not the day
    the data was entered."""
    from fullvalue.web.contracts.models import Contract
    from fullvalue.web.demo.world import build_demo_world

    build_demo_world()
    contract = Contract.objects.select_related("award").get(award__status="confirmed")
    package = get_package(client)
    releases = [r for r in package["releases"] if r.get("contracts")]
    compiled = ocds.compile_release(
        [r for r in package["releases"] if r["ocid"] == releases[0]["ocid"]]
    )
    (published,) = compiled["contracts"]
    assert published["period"] == {
        "startDate": "2025-03-31T23:00:00Z",  # midnight 1 April 2025, UK summer time
        "endDate": "2028-03-31T22:59:59Z",
    }
    assert published["dateSigned"][:10] == f"{contract.created_at:%Y-%m-%d}"
    (award,) = compiled["awards"]
    assert award["date"][:10] == f"{contract.award.notice_published_on:%Y-%m-%d}"


def test_records_walk_every_process_once_like_the_record_of_each(client, cycle):
    seen, url = [], "/api/v1/ocds/records?limit=2"
    while url:
        package = get_package(client, url)
        assert len(package["records"]) <= 2
        seen += package["records"]
        url = package.get("links", {}).get("next")
    public = list(ocds.public_processes())
    assert sorted(r["ocid"] for r in seen) == sorted(ocds.ocid_for(t) for t in public)
    for tender in public:
        _, record = get_record(client, tender)
        assert [r for r in seen if r["ocid"] == record["ocid"]] == [record]


def test_the_market_summary_is_public_and_agrees_with_the_published_records(client, cycle):
    """``/api/v1/market/summary`` (no token) measures exactly the awards the records publish."""
    from decimal import Decimal

    from fullvalue.engine.market.summary import summarise

    records = client.get("/api/v1/ocds/records?limit=200").json()["records"]
    compiled = [r["compiledRelease"] for r in records]
    active = [a for c in compiled for a in c.get("awards", []) if a.get("status") == "active"]
    assert active, "the cycle awards two lots"
    response = client.get("/api/v1/market/summary")
    assert response.status_code == 200
    summary = response.json()
    assert summary == summarise(compiled)
    assert summary["total"]["awards"] == len(active)
    assert Decimal(summary["total"]["value"]) == sum(
        Decimal(str(a["value"]["amount"])) for a in active
    )
    assert 0 < summary["total"]["vcse_share"] <= 1  # the women's centre and mentors are VCSE
    by_year = client.get("/api/v1/market/summary?by=year").json()
    assert [y["year"] for y in by_year["years"]] == ["2027"]
    page = client.get("/market/")
    assert page.status_code == 200 and "Who wins the money" in page.content.decode()
    csv = client.get("/market/?format=csv").content.decode()
    assert csv.splitlines()[0].startswith("Buyer,Buyer id,Awards")


def test_the_market_summary_with_nothing_awarded_says_so_with_nulls(client, db):
    summary = client.get("/api/v1/market/summary").json()
    assert summary == {
        "total": {
            "awards": 0, "value": "0.00", "vcse_value": "0.00", "vcse_share": None,
            "sme_value": "0.00", "sme_share": None, "hhi": None, "top5_share": None,
            "other_currencies": {},
        },
        "buyers": [],
    }  # fmt: skip
    assert "Nothing has been awarded on Fullvalue yet" in client.get("/market/").content.decode()
