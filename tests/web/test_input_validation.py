"""Bad input is refused at the edge, naming the field (issue #14, findings 3, 5 and 6)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from fullvalue.errors import FullvalueError
from fullvalue.web.accounts.models import Membership
from fullvalue.web.delivery.models import Participant
from fullvalue.web.delivery.services import import_preview, import_run, import_start
from fullvalue.web.kernel import fields
from tests.web.cycle import programme_data, tender_data

pytestmark = pytest.mark.django_db

MEGABYTE = "x" * 1_000_000


# -- the field readers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1250", "1250.00"), ("£1,250.5", "1250.50"), (" 0.01 ", "0.01"), (12, "12.00")],
)
def test_money_reads_pounds_and_pence(raw, expected):
    assert fields.money(raw, "value") == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1e30", "like 1250.50"),
        ("1E3", "like 1250.50"),
        ("NaN", "like 1250.50"),
        ("Infinity", "like 1250.50"),
        ("１２３", "like 1250.50"),  # full-width digits
        ("0.000000000000000000000000000001", "at most 2 decimal places"),
        ("12.345", "at most 2 decimal places"),
        ("20000000000", "at most 10,000,000,000"),
        ("-5", "at least 0"),
        (1e30, "like 1250.50"),
        (True, "not a list"),
        ({"a": 1}, "not a list"),
    ],
)
def test_money_refuses_what_is_not_pounds_and_pence(raw, reason):
    with pytest.raises(fields.FieldInvalid, match=reason) as caught:
        fields.money(raw, "value")
    assert caught.value.problems[0].column == "value"


def test_shares_and_percentages_are_exact_decimals():
    assert fields.share("0.3", "share_of_value") == Decimal("0.3")
    assert fields.percent("12.5", "weight") == Decimal("12.5")
    for bad in ("1.5", "-0.1", "1e-1", "０.５", "nan"):
        with pytest.raises(fields.FieldInvalid):
            fields.share(bad, "share_of_value")
    with pytest.raises(fields.FieldInvalid, match="at most 2 decimal places"):
        fields.percent("33.333", "weight")


@pytest.mark.parametrize("raw", ["2026-02-30", "2026-13-01", "２０２６-01-01", "31/02/2026", ""])
def test_impossible_dates_are_refused_with_the_field_named(raw):
    with pytest.raises(fields.FieldInvalid) as caught:
        fields.date(raw, "start_date")
    assert caught.value.problems[0].column == "start_date"


def test_datetimes_must_exist_and_are_uk_time_without_an_offset():
    with pytest.raises(fields.FieldInvalid, match="real date and time"):
        fields.datetime("2026-02-30T10:00:00Z", "submission_deadline")
    assert fields.datetime("2026-03-30T10:00:00Z", "d") == dt.datetime(
        2026, 3, 30, 10, tzinfo=dt.UTC
    )
    summer = fields.datetime("2026-06-01T12:00", "d")
    assert summer.utcoffset() == dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("raw", "ok"), [("30", 30), (0, 0), ("-5", None), ("abc", None), ("３", None)]
)
def test_integers_within_a_range(raw, ok):
    if ok is None:
        with pytest.raises(fields.FieldInvalid, match="payment_terms_days"):
            fields.integer(raw, "payment_terms_days", minimum=0, maximum=365)
    else:
        assert fields.integer(raw, "payment_terms_days", minimum=0, maximum=365) == ok


def test_text_has_a_maximum_and_no_control_characters():
    assert fields.text("  two\nlines\t", "q", max_length=20, multiline=True) == "two\nlines"
    with pytest.raises(fields.FieldInvalid, match="at most 10 characters"):
        fields.text("x" * 11, "q", max_length=10)
    with pytest.raises(fields.FieldInvalid, match="line break or tab at position 4"):
        fields.text("two\nlines", "title", max_length=20)
    with pytest.raises(fields.FieldInvalid, match="control character at position 2"):
        fields.text("a\x00b", "q", max_length=20, multiline=True)
    with pytest.raises(fields.FieldInvalid, match="Enter text"):
        fields.text({"a": 1}, "description", max_length=20)
    with pytest.raises(fields.FieldInvalid, match="text-direction"):
        fields.name("Acme \u202eevil", "name")


# -- the API and the services -------------------------------------------------------------------


@pytest.fixture
def tokens(world, api_token):
    out = {}
    for key in ("commissioner", "women", "prime"):
        membership = Membership.objects.get(id=world[key].membership_id)
        out[key] = {"HTTP_AUTHORIZATION": f"Bearer {api_token(membership)}"}
    return out


def post(client, url, body, who, method="post"):
    return getattr(client, method)(url, body, content_type="application/json", **who)


def columns(response):
    return {e.get("column") for e in response.json().get("errors") or []}


@pytest.fixture
def open_tender(client, world, tokens, clock):
    c = tokens["commissioner"]
    programme = post(client, "/api/v1/programmes", programme_data(), c).json()
    tender = post(client, f"/api/v1/programmes/{programme['id']}/tenders", tender_data(), c).json()
    assert post(client, f"/api/v1/tenders/{tender['id']}/publish", {}, c).status_code == 200
    return programme, tender


def test_tender_creation_and_amendment_refuse_an_impossible_deadline(client, tokens, open_tender):
    programme, tender = open_tender
    c = tokens["commissioner"]
    bad = tender_data() | {"submission_deadline": "2026-02-30T10:00:00Z"}
    r = post(client, f"/api/v1/programmes/{programme['id']}/tenders", bad, c)
    assert r.status_code == 422 and "submission_deadline" in columns(r)
    r = post(
        client,
        f"/api/v1/tenders/{tender['id']}/amendments",
        {"summary": "Later", "changes": {"submission_deadline": "2026-02-30T10:00:00Z"}},
        c,
    )
    assert r.status_code == 422 and "submission_deadline" in columns(r)
    r = post(
        client,
        f"/api/v1/tenders/{tender['id']}/amendments",
        {"summary": "Object", "changes": {"description": {"injected": True}}},
        c,
    )
    assert r.status_code == 422 and "description" in columns(r)


def test_tender_titles_are_refused_not_cut_and_descriptions_have_a_maximum(
    client, tokens, open_tender
):
    programme, _ = open_tender
    c = tokens["commissioner"]
    for key, value in (("title", "T" * 201), ("description", MEGABYTE)):
        r = post(
            client, f"/api/v1/programmes/{programme['id']}/tenders", tender_data() | {key: value}, c
        )
        assert r.status_code == 422 and key in columns(r), (key, r.json())


def test_clarification_questions_refuse_a_megabyte_and_control_characters(
    client, tokens, open_tender
):
    _, tender = open_tender
    url = f"/api/v1/tenders/{tender['id']}/clarifications"
    for text in (MEGABYTE, "Is there\x00 a budget?"):
        r = post(client, url, {"text": text}, tokens["women"])
        assert r.status_code == 422 and "question" in columns(r)
    r = post(client, url, {"text": "Two lines\nare fine"}, tokens["women"])
    assert r.status_code == 201


def test_contract_value_and_title_are_read_strictly(client, world, tokens):
    body = {
        "title": "Direct award",
        "provider_id": world["women"].organisation_id,
        "value": "1e30",
    }
    r = post(client, "/api/v1/contracts", body, tokens["commissioner"])
    assert r.status_code == 422 and "value" in columns(r)
    for value in ("100.123", "１００"):
        r = post(client, "/api/v1/contracts", body | {"value": value}, tokens["commissioner"])
        assert r.status_code == 422 and "value" in columns(r)
    r = post(
        client,
        "/api/v1/contracts",
        body | {"value": "100", "title": "T" * 201},
        tokens["commissioner"],
    )
    assert r.status_code == 422 and "title" in columns(r)
    r = post(client, "/api/v1/contracts", body | {"value": "100.10"}, tokens["commissioner"])
    assert r.status_code == 201 and Decimal(r.json()["value"]) == Decimal("100.10")


def test_supply_chain_refuses_negative_terms_and_an_organisation_that_is_not_a_number(
    client, chain, api_token
):
    token = api_token(Membership.objects.get(id=chain["prime"].membership_id))
    who = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/contracts/{chain['contract'].id}/supply-chain"
    member = {
        "organisation_id": chain["sub_org"].id,
        "share_of_value": "0.3",
        "share_of_work": "0.3",
        "payment_terms_days": 30,
    }
    for change, column in (
        ({"payment_terms_days": -5}, "payment_terms_days"),
        ({"organisation_id": "abc"}, "organisation_id"),
    ):
        r = post(client, url, {"reason": "partner", "members": [member | change]}, who, "put")
        assert r.status_code == 422 and column in columns(r), r.json()
    r = post(client, url, {"reason": "partner", "members": [member]}, who, "put")
    assert r.status_code == 200


def test_dispute_grounds_have_a_maximum(chain):
    from fullvalue.web.delivery.models import OutcomeEvent
    from fullvalue.web.delivery.services import claim_decide, claim_dispute, claim_submit

    _import(chain, "case_reference,referred_on\nW001,2025-04-03\n")
    _import(
        chain,
        "case_reference,outcome,occurred_on\nW001,settled_accommodation,2025-09-01\n",
        "events.csv",
    )
    claim = claim_submit(actor=chain["prime"], event_id=OutcomeEvent.objects.get().id)
    claim_decide(actor=chain["c"], claim_id=claim.id, accept=False, reason="No evidence")
    with pytest.raises(FullvalueError) as caught:
        claim_dispute(actor=chain["prime"], claim_id=claim.id, grounds=MEGABYTE)
    assert caught.value.problems[0].column == "grounds"


def test_organisation_names_are_one_line_that_displays_as_stored(client, world, tokens):
    from fullvalue.web.organisations.rules import parse_organisation

    base = {"name": "Acme", "legal_form": "cic", "sector": "voluntary"}
    for name in ("Acme \u202eevil", "Acme\nTrust", "Acme\x00"):
        _, problems = parse_organisation(base | {"name": name})
        assert [p.column for p in problems] == ["name"], name
    for income in ("１０００", "1e5", "100.123"):
        _, problems = parse_organisation(base | {"annual_income": income})
        assert [p.column for p in problems] == ["annual_income"], income


# -- imports and exports ------------------------------------------------------------------------


def _import(chain, text, name="people.csv"):
    job, parsed = import_preview(
        actor=chain["prime"], contract_id=chain["contract"].id, filename=name, content=text.encode()
    )
    import_start(actor=chain["prime"], job_id=job.id, valid_rows_only=True)
    import_run(job.id)
    return parsed


def test_control_characters_in_imported_cells_are_named_by_row_and_column(chain):
    parsed = _import(
        chain, "case_reference,referred_on,cohort\nW001,2025-04-03,2025\x00\nW002,2025-04-03,ok\n"
    )
    assert [(p.row, p.column) for p in parsed.problems] == [(2, "cohort")]
    assert "control character at position 5" in parsed.problems[0].reason
    parsed = _import(
        chain,
        "case_reference,outcome,occurred_on,evidence\n"
        "W002,settled_accommodation,2025-09-01,tenancy\x01\n",
        "events.csv",
    )
    assert [(p.row, p.column) for p in parsed.problems] == [(2, "evidence")]
    parsed = _import(chain, "case_reference,referred_on,cohort\nW003,2025-04-03," + "c" * 41 + "\n")
    assert [(p.row, p.column) for p in parsed.problems] == [(2, "cohort")]  # not cut to 40


def test_exports_never_fail_on_stored_text_and_xlsx_keeps_values(chain, signed_in):
    """Text stored before the input rules (here written directly) still downloads.

    \x01, not \x00: PostgreSQL refuses NUL in text outright, so only other control characters
    can ever be stored.
    """
    _import(chain, "case_reference,referred_on,cohort\nW001,2025-04-03,2025\n")
    Participant.objects.update(cohort='=HYPERLINK("x")\x01')
    client = signed_in(Membership.objects.get(id=chain["prime"].membership_id))
    url = f"/contracts/{chain['contract'].id}/participants/"
    r = client.get(url + "?format=xlsx")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert [(c.value, c.data_type) for c in cells] == [('=HYPERLINK("x")\ufffd', "s")]
    r = client.get(url + "?format=csv")
    assert r.status_code == 200 and "'=HYPERLINK" in r.content.decode()


def test_pages_answer_a_chosen_id_that_is_not_a_number_with_an_error_not_a_500(
    signed_in, world, open_tender
):
    from django.urls import reverse

    _, tender = open_tender
    page = signed_in(Membership.objects.get(id=world["commissioner"].membership_id))
    url = reverse("tender-detail", args=[tender["id"]])
    for action, field in (("answer", "clarification"), ("award", "lot"), ("panel", "evaluator")):
        r = page.post(url, {"action": action, field: "abc"})
        assert r.status_code in (200, 302, 400, 404), (action, r.status_code)
        assert r.status_code != 500
    r = page.post(
        url, {"action": "amend", "summary": "Later", "new_submission_deadline": "2026-02-30T10:00"}
    )
    assert r.status_code != 500


def test_kpi_targets_and_values_refuse_more_places_than_are_stored(chain):
    """A KPI keeps two decimal places: more is refused with the field named, never rounded."""
    from fullvalue.errors import FullvalueError
    from fullvalue.web.contracts.services import kpi_add, kpi_observe

    contract = chain["contract"]
    base = {"name": "Into work", "unit": "%", "higher_is_better": "yes"}
    for target in ("85.125", "８５", "1e3", "-1"):
        with pytest.raises(FullvalueError) as refused:
            kpi_add(actor=chain["c"], contract_id=contract.id, data=base | {"target": target})
        assert [p.column for p in refused.value.problems] == ["target"], target
    kpi = kpi_add(actor=chain["c"], contract_id=contract.id, data=base | {"target": "85.5"})
    assert kpi.target == Decimal("85.50")
    period = {"period_start": "2025-04-01", "period_end": "2025-06-30"}
    with pytest.raises(FullvalueError) as refused:
        kpi_observe(actor=chain["prime"], kpi_id=kpi.id, data=period | {"value": "80.001"})
    assert [p.column for p in refused.value.problems] == ["value"]
    seen = kpi_observe(actor=chain["prime"], kpi_id=kpi.id, data=period | {"value": "80.25"})
    assert seen.value == Decimal("80.25")


def test_programme_text_has_stated_maximums_and_is_refused_not_cut(world):
    from fullvalue.errors import FullvalueError
    from fullvalue.web.programmes.services import programme_create

    c = world["commissioner"]
    for field, value, reason in (
        ("summary", "s" * 5001, "at most 5,000"),
        ("current_provision", "p" * 5001, "at most 5,000"),
        ("title", "Title\u0007", "control character"),
        ("cohort", "c" * 2001, "at most 2,000"),
    ):
        with pytest.raises(FullvalueError) as refused:
            programme_create(actor=c, data=programme_data() | {field: value})
        assert [(p.column, reason in p.reason) for p in refused.value.problems] == [
            (field, True)
        ], field
    made = programme_create(actor=c, data=programme_data() | {"what_must_change": "w" * 5000})
    assert len(made.what_must_change) == 5000
