"""The participant importer's core: pseudonyms, checking, and the bulk write on each database."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import hmac

import pytest
from django.db import connection

from fullvalue.domain.roles import Role
from fullvalue.errors import FullvalueError
from fullvalue.web.contracts.services import contract_create
from fullvalue.web.delivery import imports, pseudonyms
from fullvalue.web.delivery.models import Participant, ParticipantIdentity
from tests.web.cycle import EXAMPLES

HEADER = "case_reference,full_name,date_of_birth,referred_on,started_on,left_on,sex,cohort\n"


@pytest.fixture
def contract(make_member, actor_for):
    commissioner = make_member(Role.COMMISSIONER, legal_form="pcc", sector="public")
    provider = make_member(Role.PROVIDER_ADMIN)
    return contract_create(
        actor=actor_for(commissioner),
        data={
            "title": "Import checks",
            "provider_id": provider.organisation_id,
            "value": "100000",
            "mechanism_toml": (EXAMPLES / "womens-centre" / "contract.toml").read_text(),
            "start_date": "2025-04-01",
            "end_date": "2028-03-31",
        },
    )


def _reference_hmac(key: bytes, contract_id: int, provider_id: int, case_reference: str) -> str:
    message = f"{contract_id}:{provider_id}:{case_reference.strip().upper()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("explicit_key", [None, "short key", "k" * 64, "a much longer key " * 9])
def test_pseudonyms_are_hmac_sha256_of_contract_provider_and_reference(
    monkeypatch, settings, explicit_key
):
    """The prepared hash states give exactly ``hmac.new``'s digest, whatever the key length
    (keys longer than SHA-256's 64-byte block are hashed first)."""
    if explicit_key is None:
        monkeypatch.delenv("PSEUDONYM_KEY", raising=False)
    else:
        monkeypatch.setenv("PSEUDONYM_KEY", explicit_key)
    pseudonyms._key.cache_clear()
    try:
        settings.SECRET_KEY = "s3cret"
        key = pseudonyms._key("s3cret")
        keyed = pseudonyms.pseudonymiser(7, 11)
        for ref in ("W001", " w001 ", "WC/2025/000003", "é-1", ""):
            expected = _reference_hmac(key, 7, 11, ref)
            assert keyed(ref) == expected == pseudonyms.pseudonym(7, 11, ref)
        assert keyed("W001") == keyed("w001 ") != pseudonyms.pseudonymiser(7, 12)("W001")
    finally:
        pseudonyms._key.cache_clear()


def test_rows_longer_than_the_header_do_not_fill_a_missing_column():
    """A file without ``sex``: an extra cell at the end of a row is not read as the sex."""
    text = "case_reference,referred_on\nA1,2025-04-01,alien\nA2,2025-04-02\nA3\n"
    parsed = imports.parse_file("short.csv", text.encode(), set())
    assert [(p.row, p.column, p.reason) for p in parsed.problems] == [
        (4, "referred_on", "referred_on is required")
    ]
    assert [(r["case_reference"], r["sex"]) for r in parsed.valid] == [("A1", ""), ("A2", "")]


def test_a_date_is_reported_on_every_row_it_is_wrong_in():
    """Dates are remembered once read; a bad or future one is still named on each row."""
    text = (
        "case_reference,referred_on,started_on\n"
        "A1,2025-04-01,2025-04-02\n"
        "A2,2025-02-30,2025-04-02\n"
        "A3,2025-02-30,2099-01-01\n"
        "A4,2099-01-01, 2025-04-02 \n"
        "A5,01/04/2025,2025-04-01\n"
    )
    parsed = imports.parse_file("dates.csv", text.encode(), set())
    assert [(p.row, p.column) for p in parsed.problems] == [
        (3, "referred_on"),
        (4, "referred_on"),
        (4, "started_on"),
        (5, "referred_on"),
    ]
    assert "in the future" in parsed.problems[-1].reason
    assert [(r["referred_on"], r["started_on"]) for r in parsed.valid] == [
        (dt.date(2025, 4, 1), dt.date(2025, 4, 2)),
        (dt.date(2025, 4, 1), dt.date(2025, 4, 1)),
    ]


def test_parsing_pauses_the_cycle_collector_and_leaves_it_as_it_was(monkeypatch):
    seen = []
    check = imports.parse_participants

    def spy(*args):
        seen.append(gc.isenabled())
        return check(*args)

    monkeypatch.setattr(imports, "parse_participants", spy)
    assert gc.isenabled()
    imports.parse_file("p.csv", b"case_reference,referred_on\nA1,2025-04-01\n", set())
    with pytest.raises(FullvalueError, match="is empty"):
        imports.parse_file("empty.csv", b"", set())
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        imports.parse_file("p.csv", b"case_reference,referred_on\nA1,2025-04-01\n", set())
        assert not gc.isenabled()
    finally:
        gc.enable()


def _people(count: int, start: int = 0) -> str:
    lines = [
        f"R{i:04d},Person {i},1980-01-{1 + i % 28:02d},2025-04-{1 + i % 28:02d},"
        f"{'2025-05-01' if i % 2 else ''},,{'female' if i % 3 else ''},2025\n"
        for i in range(start, start + count)
    ]
    return HEADER + "".join(lines)


@pytest.mark.django_db
def test_write_stores_every_valid_row_once_with_its_own_identity(contract, monkeypatch):
    """Seven batches of three rows: each participant's identity is its own (the case reference
    hashes to the participant's pseudonym), values survive the trip, re-imports add nothing."""
    monkeypatch.setattr(imports, "PARTICIPANT_BATCH", 3)
    provider_id = contract.provider_id
    first = imports.parse_file("p.csv", _people(10).encode(), set())
    assert imports.write_participants(contract.id, provider_id, first) == {
        "created": 10,
        "already_there": 0,
    }
    everyone = imports.parse_file("p.csv", _people(20).encode(), set())
    assert imports.write_participants(contract.id, provider_id, everyone) == {
        "created": 10,
        "already_there": 10,
    }
    assert imports.write_participants(contract.id, provider_id, everyone)["created"] == 0
    stored = {
        i.case_reference: (i.participant, i)
        for i in ParticipantIdentity.objects.select_related("participant")
    }
    assert len(stored) == Participant.objects.count() == 20
    for row in everyone.valid:
        person, identity = stored[row["case_reference"]]
        assert person.pseudonym == pseudonyms.pseudonym(
            contract.id, provider_id, row["case_reference"]
        )
        assert (person.contract_id, person.provider_id) == (contract.id, provider_id)
        assert (person.referred_on, person.started_on, person.left_on) == (
            row["referred_on"],
            row["started_on"],
            row["left_on"],
        )
        assert (person.sex, person.cohort) == (row["sex"], "2025")
        assert (identity.full_name, identity.date_of_birth) == (
            row["full_name"],
            row["date_of_birth"],
        )
        assert person.imported_at is not None


@pytest.mark.django_db
def test_text_that_copy_would_misread_is_stored_as_given(contract):
    """Backslashes and \\N in free text (PostgreSQL's COPY text format escapes them).

    A real tab is a control character in a one-line cell: refused, with its row and column.
    """
    tabbed = imports.parse_file("tab.csv", (HEADER + "X1,,,2025-04-01,,,,a\tb\n").encode(), set())
    assert [(p.row, p.column) for p in tabbed.problems] == [(2, "cohort")]
    text = HEADER + '"X1","O\\Brien \\N","",2025-04-01,,,,"a\\tb c \\N"\n'
    parsed = imports.parse_file("odd.csv", text.encode(), set())
    assert not parsed.problems
    imports.write_participants(contract.id, contract.provider_id, parsed)
    identity = ParticipantIdentity.objects.select_related("participant").get()
    assert identity.full_name == "O\\Brien \\N"
    assert identity.date_of_birth is None
    assert identity.participant.cohort == "a\\tb c \\N"
    assert identity.participant.started_on is None


@pytest.mark.django_db
def test_progress_is_reported_after_batches_at_most_once_an_interval(contract, monkeypatch):
    monkeypatch.setattr(imports, "PARTICIPANT_BATCH", 4)
    parsed = imports.parse_file("p.csv", _people(10).encode(), set())
    seen: list[int] = []
    monkeypatch.setattr(imports, "PROGRESS_SECONDS", 0.0)
    imports.write_participants(contract.id, contract.provider_id, parsed, seen.append)
    assert seen == [4, 8, 10]
    seen.clear()
    monkeypatch.setattr(imports, "PROGRESS_SECONDS", 3600.0)
    imports.write_participants(contract.id, contract.provider_id, parsed, seen.append)
    assert seen == []


@pytest.mark.django_db
def test_the_write_uses_one_lookup_and_few_statements_per_batch(contract, monkeypatch):
    """Per batch: which pseudonyms exist (one query), then the inserts (COPY on PostgreSQL)."""
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(imports, "PARTICIPANT_BATCH", 50)
    parsed = imports.parse_file("p.csv", _people(100).encode(), set())
    with CaptureQueriesContext(connection) as queries:
        imports.write_participants(contract.id, contract.provider_id, parsed)
    reads = [q["sql"] for q in queries if q["sql"].startswith(("SELECT", "WITH"))]
    assert len(reads) == (4 if connection.vendor == "postgresql" else 2)  # + ids on PostgreSQL
    assert Participant.objects.count() == ParticipantIdentity.objects.count() == 100


def test_templates_read_back_with_no_problems_and_outcomes_are_named_by_label_too():
    measures = {"settled_accommodation", "employment_13_weeks"}
    for kind in ("participants", "events"):
        header, rows = imports.template_rows(kind, measures)
        text = ",".join(header) + "\n" + "\n".join(",".join(r) for r in rows) + "\n"
        parsed = imports.parse_file(f"{kind}.csv", text.encode(), measures)
        assert parsed.problems == [] and len(parsed.valid) == 1, kind
    by_label = (
        "case_reference;outcome;occurred_on\n"  # a semicolon-separated file, too
        "AB1;Settled accommodation;2025-06-01\n"
        "AB2;employment 13 weeks;2025-06-01\n"
        "AB3;Housed;2025-06-01\n"
    )
    parsed = imports.parse_file("events.csv", by_label.encode(), measures)
    assert [v["outcome"] for v in parsed.valid] == ["settled_accommodation", "employment_13_weeks"]
    (problem,) = parsed.problems
    assert problem.row == 4 and "settled accommodation (settled_accommodation)" in problem.reason


def test_header_problems_are_located_and_an_events_file_may_carry_extra_columns():
    parsed = imports.parse_file("p.csv", b"case_reference,referral,notes\nA1,x,y\n", set())
    assert [(p.row, p.column, p.location) for p in parsed.problems] == [
        (1, "referred_on", "p.csv row 1, column referred_on"),
        (1, "referral", "p.csv row 1, column 2"),
        (1, "notes", "p.csv row 1, column 3"),
    ]
    assert parsed.valid == [] and parsed.kind == "participants"
    events = (
        "case_reference,outcome,occurred_on,notes\n"
        "AB1,housed,2025-06-01,first\n"
        "ab1,housed,2025-06-01,again\n"
        "AB1,housed,2025-06-01,and again\n"
    )
    parsed = imports.parse_file("e.csv", events.encode(), {"housed"})
    assert parsed.kind == "events" and [r["row"] for r in parsed.valid] == [2]
    assert [(p.row, p.column, p.reason) for p in parsed.problems] == [
        (3, "occurred_on", "the same event is in row 2"),
        (4, "occurred_on", "the same event is in row 2"),
    ]
    assert parsed.bad_rows == 2 and parsed.problems[0].location == "e.csv row 3, column occurred_on"
