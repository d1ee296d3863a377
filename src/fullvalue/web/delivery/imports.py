"""Bulk import of participants and outcome events from CSV or XLSX.

Validate everything first, then write in bulk: every bad row is named (row, column, reason),
every valid row is written once (rows whose participant or event already exists are skipped, so
re-importing a file creates nothing new; a participant already imported with different data is
an error naming the differences), and nothing is written unless the file is valid or the
user chose to import the valid rows. Large files run in the background worker with progress.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import re
import sqlite3
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from fullvalue.errors import Problem
from fullvalue.web.delivery.models import OutcomeEvent, Participant, ParticipantIdentity
from fullvalue.web.delivery.pseudonyms import pseudonymiser
from fullvalue.web.kernel import fields
from fullvalue.web.kernel import imports as pipeline
from fullvalue.web.kernel.faults import checkpoint
from fullvalue.web.kernel.tables import Limits

PARTICIPANT_COLUMNS = (
    "case_reference",
    "full_name",
    "date_of_birth",
    "referred_on",
    "started_on",
    "left_on",
    "sex",
    "ethnicity",
    "age_band",
    "cohort",
)
EVENT_COLUMNS = ("case_reference", "outcome", "occurred_on", "evidence")
SEXES = {"female", "male", "other", "not stated"}
AGE_BANDS = {"18-24", "25-34", "35-44", "45-54", "55+"}
#: Census 2021 ethnic groups (England and Wales), plus "not stated".
ETHNICITIES = {
    "bangladeshi",
    "chinese",
    "indian",
    "pakistani",
    "other asian",
    "african",
    "caribbean",
    "other black",
    "white and asian",
    "white and black african",
    "white and black caribbean",
    "other mixed",
    "english, welsh, scottish, northern irish or british",
    "irish",
    "gypsy or irish traveller",
    "roma",
    "other white",
    "arab",
    "any other ethnic group",
    "not stated",
}
#: Outcome events per transaction.
BATCH = 5000
#: Participants per transaction. Fewer, larger commits write SQLite's pseudonym index (random
#: keys, so each batch touches most of its pages) fewer times: batches of 5,000 made a
#: 100,000-row import about 20% slower.
PARTICIPANT_BATCH = 20_000
#: Least time between two progress reports: the import page asks every 2 seconds.
PROGRESS_SECONDS = 2.0
MAX_ROWS = 500_000
#: What a participants or events file may be (see :class:`~fullvalue.web.kernel.tables.Limits`).
LIMITS = Limits(max_rows=MAX_ROWS)
_MEASURE_SEPARATORS = re.compile(r"[\s-]+")
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,59}$")


@dataclass
class ParsedFile(pipeline.Preview):
    """Rows split into valid values and problems (the shared pipeline's preview), and its kind."""

    kind: str = "participants"  # participants | events


def _parsed(kind: str, preview: pipeline.Preview) -> ParsedFile:
    return ParsedFile(
        total=preview.total, valid=preview.valid, problems=preview.problems, kind=kind
    )


def _date(
    value: str, column: str, row: int, problems: list[Problem], *, required: bool, today: dt.date
) -> dt.date | None:
    value = value.strip()
    if not value:
        if required:
            problems.append(Problem(f"{column} is required", row=row, column=column))
        return None
    try:
        parsed = fields.sheet_date(value, column)
    except fields.FieldInvalid as exc:
        problems += [Problem(p.reason, row=row, column=column) for p in exc.problems]
        return None
    if parsed > today:
        problems.append(Problem(f"{parsed:%d/%m/%Y} is in the future", row=row, column=column))
        return None
    return parsed


def _participant_reader(at: Mapping[str, int], header: list[str]) -> pipeline.RowReader:
    """The reader of one participant row: the loop every row of a large file goes through."""
    today = timezone.localdate()
    seen = pipeline.Duplicates()
    i_ref, i_name, i_born = at["case_reference"], at["full_name"], at["date_of_birth"]
    i_referred, i_started, i_left = at["referred_on"], at["started_on"], at["left_on"]
    i_sex, i_ethnicity, i_band, i_cohort = at["sex"], at["ethnicity"], at["age_band"], at["cohort"]
    # A file has far fewer distinct dates than cells: each good one is read once. ``or`` falls
    # through to reading (and reporting) when the text is not a known good date (dates are true).
    known = _KnownDates(today)
    good, read = known.good.get, known.read

    def read_row(cells: list[str], row: int) -> tuple[dict[str, Any] | None, list[Problem]]:
        problems: list[Problem] = []
        ref = cells[i_ref].strip()
        if not _REF.match(ref):
            problems.append(
                Problem(
                    "case_reference must be 1-60 letters, digits, / _ . or -",
                    row=row,
                    column="case_reference",
                )
            )
        elif (first := seen.first(ref.upper(), row)) is not None:
            problems.append(
                Problem(
                    f"case_reference {ref} also appears in row {first}",
                    row=row,
                    column="case_reference",
                )
            )
        text = cells[i_referred]
        referred = good(text) or read(text, "referred_on", row, problems, required=True)
        text = cells[i_started]
        started = good(text) or read(text, "started_on", row, problems, required=False)
        text = cells[i_left]
        left = good(text) or read(text, "left_on", row, problems, required=False)
        text = cells[i_born]
        born = good(text) or read(text, "date_of_birth", row, problems, required=False)
        if referred and started and started < referred:
            problems.append(
                Problem("started_on is before referred_on", row=row, column="started_on")
            )
        if started and left and left < started:
            problems.append(Problem("left_on is before started_on", row=row, column="left_on"))
        sex = cells[i_sex].strip().lower()
        if sex and sex not in SEXES:
            problems.append(
                Problem(f"sex must be one of {', '.join(sorted(SEXES))}", row=row, column="sex")
            )
        ethnicity = cells[i_ethnicity].strip().lower()
        if ethnicity and ethnicity not in ETHNICITIES:
            problems.append(
                Problem("ethnicity must be a Census 2021 category", row=row, column="ethnicity")
            )
        band = cells[i_band].strip()
        if band and band not in AGE_BANDS:
            problems.append(
                Problem(
                    f"age_band must be one of {', '.join(sorted(AGE_BANDS))}",
                    row=row,
                    column="age_band",
                )
            )
        name = cells[i_name].strip()
        if (reason := _text_problem(name, 200)) is not None:
            problems.append(Problem(f"full_name {reason}", row=row, column="full_name"))
        cohort = cells[i_cohort].strip()
        if (reason := _text_problem(cohort, 40)) is not None:
            problems.append(Problem(f"cohort {reason}", row=row, column="cohort"))
        if problems:
            return None, problems
        return {
            "row": row,
            "case_reference": ref,
            "full_name": name,
            "date_of_birth": born,
            "referred_on": referred,
            "started_on": started,
            "left_on": left,
            "sex": sex,
            "ethnicity": ethnicity,
            "age_band": band,
            "cohort": cohort,
        }, []

    return read_row


#: The rows of a participants file. The checks are this module's own row reader, measured
#: (``script/bench imports``); the pipeline reads the file, checks its columns and locates
#: every problem.
PARTICIPANTS = pipeline.RowSchema(
    columns=tuple(
        pipeline.Column(c, required=c in ("case_reference", "referred_on"))
        for c in PARTICIPANT_COLUMNS
    ),
    row_reader=_participant_reader,
)


def parse_participants(header: list[str], rows: list[list[str]], filename: str) -> ParsedFile:
    """Check every participant row; collect problems by row and column."""
    table = pipeline.Table(filename, header, rows)
    return _parsed("participants", pipeline.check(PARTICIPANTS, table))


def _text_problem(value: str, max_length: int) -> str | None:
    """Why a one-line cell is refused (too long, or a control character), or ``None``."""
    if len(value) > max_length:
        return f"is longer than {max_length} characters ({len(value)})"
    # isprintable() is false for every control character (and for some spaces), so only then
    # look closer: almost every cell is printable, and the check costs a fraction of a loop.
    if not value.isprintable():
        for position, ch in enumerate(value, start=1):
            if ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F:
                return f"has a control character at position {position}: remove it"
    return None


class _KnownDates:
    """Dates read from cells, remembered by their text once found good (real, not future)."""

    def __init__(self, today: dt.date) -> None:
        self.today = today
        self.good: dict[str, dt.date] = {}

    def read(
        self, text: str, column: str, row: int, problems: list[Problem], *, required: bool
    ) -> dt.date | None:
        """Read ``text`` as :func:`_date` does, remembering it when it is a good date."""
        if not text and not required:
            return None
        day = _date(text, column, row, problems, required=required, today=self.today)
        if day is not None:
            self.good[text] = day
        return day


def _event_reader(
    measures: set[str],
) -> Callable[[Mapping[str, int], list[str]], pipeline.RowReader]:
    """The reader of one outcome-event row (its outcome must be a measure the contract pays for)."""

    def reader(at: Mapping[str, int], header: list[str]) -> pipeline.RowReader:
        today = timezone.localdate()
        i_ref, i_outcome = at["case_reference"], at["outcome"]
        i_when, i_evidence = at["occurred_on"], at["evidence"]

        def read_row(cells: list[str], row: int) -> tuple[dict[str, Any] | None, list[Problem]]:
            problems: list[Problem] = []
            ref = cells[i_ref].strip()
            outcome = cells[i_outcome].strip().lower()
            if outcome not in measures:  # its label ("Settled accommodation") names it too
                outcome = _MEASURE_SEPARATORS.sub("_", outcome)
            if not _REF.match(ref):
                problems.append(
                    Problem(
                        "case_reference is missing or malformed", row=row, column="case_reference"
                    )
                )
            if outcome not in measures:
                problems.append(
                    Problem(
                        "outcome must be one the contract pays for: "
                        + (
                            ", ".join(f"{m.replace('_', ' ')} ({m})" for m in sorted(measures))
                            or "none"
                        ),
                        row=row,
                        column="outcome",
                    )
                )
            when = _date(cells[i_when], "occurred_on", row, problems, required=True, today=today)
            evidence = cells[i_evidence].strip()
            if (reason := _text_problem(evidence, 200)) is not None:
                problems.append(Problem(f"evidence {reason}", row=row, column="evidence"))
            if problems or when is None:
                return None, problems
            return {
                "row": row,
                "case_reference": ref,
                "outcome": outcome,
                "occurred_on": when,
                "evidence": evidence,
            }, []

        return read_row

    return reader


def parse_events(
    header: list[str], rows: list[list[str]], filename: str, measures: set[str]
) -> ParsedFile:
    """Check every outcome-event row (the outcome must be a measure the mechanism pays for).

    The same event (case reference, outcome and date) twice in a file is refused on the later
    row, naming the first.
    """
    schema = pipeline.RowSchema(
        columns=tuple(pipeline.Column(c, required=c != "evidence") for c in EVENT_COLUMNS),
        refuse_unknown=False,
        keys=lambda r: [(r["case_reference"].upper(), r["outcome"], r["occurred_on"])],
        key_column="occurred_on",
        repeated=lambda key, first: f"the same event is in row {first}",
        row_reader=_event_reader(measures),
    )
    return _parsed("events", pipeline.check(schema, pipeline.Table(filename, header, rows)))


def template_rows(kind: str, measures: set[str]) -> tuple[list[str], list[list[str]]]:
    """A template to fill in: the columns of a participants or outcome-events file, one example.

    >>> template_rows("events", {"settled_accommodation"})[1]
    [['AB123', 'settled_accommodation', '2026-03-31', 'tenancy agreement']]
    """
    if kind == "events":
        example = sorted(measures)[0] if measures else "settled_accommodation"
        return list(EVENT_COLUMNS), [["AB123", example, "2026-03-31", "tenancy agreement"]]
    return list(PARTICIPANT_COLUMNS), [
        [
            "AB123",
            "",
            "",
            "2026-03-02",
            "2026-03-09",
            "",
            "female",
            "not stated",
            "25-34",
            "2026",
        ]
    ]


def parse_file(filename: str, content: bytes, measures: set[str]) -> ParsedFile:
    """Read and check a participants file or an outcome-events file (told apart by header)."""
    with _cycle_collector_paused():
        table = pipeline.read_table(filename, content, LIMITS)
        header, rows = table.header, table.rows
        checkpoint("import.check")  # crash tests: killed while the file is being checked
        if "outcome" in header:
            return parse_events(header, rows, filename, measures)
        return parse_participants(header, rows, filename)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector, and resume it afterwards if it was running.

    Reading 100,000 rows makes hundreds of thousands of lists and dicts, none in a cycle (plain
    reference counting frees them), and each of the collections they would set off walks every
    object alive: about a fifth of the parse, more when an earlier parse is still in memory.
    """
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


BatchHook = Callable[[int, int, int], None]
"""Told ``(first row, rows in the batch, rows created)`` inside each batch's transaction."""


def write_participants(
    contract_id: int,
    provider_id: int,
    parsed: ParsedFile,
    progress: Callable[[int], None] | None = None,
    on_batch: BatchHook | None = None,
) -> dict[str, int]:
    """Create the valid participants that do not exist yet, in batches; return counts.

    Each batch is one transaction that looks up which of its pseudonyms the contract already has
    and inserts the others with their identities, so a crash leaves whole batches and a re-run
    skips them. ``progress`` is told the rows done after a batch, at most once every
    ``PROGRESS_SECONDS`` (the caller records the end); ``on_batch`` (the audit trail) is called
    inside each batch's transaction that writes anything.
    """
    created = skipped = 0
    now = timezone.now()
    keyed = pseudonymiser(contract_id, provider_id)
    report = pipeline.throttled(PROGRESS_SECONDS, progress)
    for start in range(0, len(parsed.valid), PARTICIPANT_BATCH):
        chunk = parsed.valid[start : start + PARTICIPANT_BATCH]
        with _cycle_collector_paused():  # the rows to insert, like parsing, are no cycles
            keys = {keyed(r["case_reference"]): r for r in chunk}
            with transaction.atomic():
                existing = _existing_pseudonyms(contract_id, list(keys))
                fresh = [(k, r) for k, r in keys.items() if k not in existing]
                if fresh:
                    _insert_participants(contract_id, provider_id, fresh, now)
                    if on_batch is not None:
                        on_batch(chunk[0]["row"], len(chunk), len(fresh))
        skipped += len(chunk) - len(fresh)
        created += len(fresh)
        checkpoint("import.batch")  # crash tests: a batch is committed, the rest is not
        report(start + len(chunk))
    return {"created": created, "already_there": skipped}


def _existing_pseudonyms(contract_id: int, keys: list[str]) -> set[str]:
    """Which of these pseudonyms are already on the contract.

    Plain SQL with the keys as one parameter: the ORM takes longer to compile an IN list of
    thousands than the query takes to run, and drivers take longer to pass thousands of
    parameters (or an array of them) than a string. Pseudonyms are hex, so they join safely.
    """
    contract, column = _columns(Participant, ("contract", "pseudonym"))
    table = connection.ops.quote_name(Participant._meta.db_table)
    if connection.vendor == "postgresql":
        match, param = f"{column} = ANY(string_to_array(%s, ','))", ",".join(keys)
    else:
        match, param = f"{column} IN (SELECT value FROM json_each(%s))", json.dumps(keys)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE {contract} = %s AND {match}", [contract_id, param]
        )
        return {key for (key,) in cursor.fetchall()}


def _insert_participants(
    contract_id: int, provider_id: int, fresh: list[tuple[str, dict[str, Any]]], now: dt.datetime
) -> None:
    """Insert participants and their identities without building model instances.

    ``bulk_create`` spends most of a large import building instances and compiling values
    field by field (about 11 s for 100,000 people); the rows are already checked, so they go
    to the database as text or tuples: on PostgreSQL ``COPY`` with ids drawn from the table's
    sequence, on SQLite multi-row ``INSERT ... RETURNING`` (ids matched back by pseudonym, so the
    order the database returns them in does not matter).
    """
    if connection.vendor == "postgresql":
        _copy_participants(contract_id, provider_id, fresh, now)
        return
    iso = _IsoDates({None: None})
    when = connection.ops.adapt_datetimefield_value(now)
    rows = [
        (
            contract_id,
            provider_id,
            key,
            r["cohort"],
            r["sex"],
            r["ethnicity"],
            r["age_band"],
            iso[r["referred_on"]],
            iso[r["started_on"]],
            iso[r["left_on"]],
            when,
        )
        for key, r in fresh
    ]
    by_key = dict(_insert_sqlite(Participant, _PARTICIPANT_FIELDS, rows, ("pseudonym", "id")))
    _insert_sqlite(
        ParticipantIdentity,
        _IDENTITY_FIELDS,
        [
            (by_key[key], r["case_reference"], r["full_name"], iso[r["date_of_birth"]])
            for key, r in fresh
        ],
    )


def _copy_participants(
    contract_id: int, provider_id: int, fresh: list[tuple[str, dict[str, Any]]], now: dt.datetime
) -> None:
    """PostgreSQL: ``COPY`` the participants, with ids reserved first, then their identities.

    The rows are written in ``COPY``'s text format here rather than by psycopg value by value
    (``write_row``, which looks up an adapter for every value): about half the time.
    """
    ids = _next_ids(Participant, len(fresh))
    text, day = _copy_text, _IsoDates({None: _COPY_NULL})
    head = f"\t{contract_id}\t{provider_id}\t"
    when = now.isoformat()
    _copy(
        Participant,
        ("id", *_PARTICIPANT_FIELDS),
        "".join(
            [
                f"{i}{head}{key}\t{text(r['cohort'])}\t{r['sex']}\t{r['ethnicity']}\t"
                f"{r['age_band']}\t{day[r['referred_on']]}\t{day[r['started_on']]}\t"
                f"{day[r['left_on']]}\t{when}\n"
                for i, (key, r) in zip(ids, fresh, strict=True)
            ]
        ),
    )
    _copy(
        ParticipantIdentity,
        _IDENTITY_FIELDS,
        "".join(
            [
                f"{i}\t{text(r['case_reference'])}\t{text(r['full_name'])}\t"
                f"{day[r['date_of_birth']]}\n"
                for i, (_, r) in zip(ids, fresh, strict=True)
            ]
        ),
    )


_PARTICIPANT_FIELDS = (
    "contract",
    "provider",
    "pseudonym",
    "cohort",
    "sex",
    "ethnicity",
    "age_band",
    "referred_on",
    "started_on",
    "left_on",
    "imported_at",
)
_IDENTITY_FIELDS = ("participant", "case_reference", "full_name", "date_of_birth")
_COPY_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A text value in ``COPY``'s text format: backslash, tab, newline and return escaped.

    The other values written (pseudonyms, the checked sex, ethnicity and age band, numbers and
    dates) cannot contain these characters.
    """
    if value.isprintable() and "\\" not in value:  # tab, newline and return are not printable
        return value
    return value.translate(_COPY_ESCAPES)  # about a microsecond, so only when needed


class _IsoDates(dict[dt.date | None, str | None]):
    """Dates as ISO text, each distinct date formatted once (a file has a few thousand).

    ``None`` maps to what it is given when the mapping is made. A lookup costs less than a
    function call per value.
    """

    def __missing__(self, day: dt.date) -> str:
        self[day] = text = day.isoformat()
        return text


def _insert_sqlite(
    model: type[models.Model],
    fields: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    returning: tuple[str, ...] = (),
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (values already adapted for SQLite); return ``returning`` columns.

    As few statements as SQLite's limit on parameters allows, through the driver's own cursor
    with its ``?`` placeholders: Django's cursor rewrites every ``%s`` of a statement with a
    regular expression, about 10 ms for one of 30,000 parameters.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(_columns(model, fields))
    tail = " RETURNING " + ", ".join(_columns(model, returning)) if returning else ""
    per_statement = max(1, _max_query_params() // len(fields))
    one_row = "(" + ", ".join(["?"] * len(fields)) + ")"
    out: list[tuple[Any, ...]] = []
    with connection.wrap_database_errors:
        cursor = connection.connection.cursor()
        try:
            for start in range(0, len(rows), per_statement):
                part = rows[start : start + per_statement]
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES "
                    + ", ".join([one_row] * len(part))
                    + tail,
                    [value for row in part for value in row],
                )
                if returning:
                    out += cursor.fetchall()
        finally:
            cursor.close()
    return out


def _columns(model: type[models.Model], names: tuple[str, ...]) -> list[str]:
    """The quoted database columns of these fields."""
    by_name = {f.name: str(f.column) for f in model._meta.concrete_fields}
    return [connection.ops.quote_name(by_name[name]) for name in names]


def _max_query_params() -> int:
    """How many parameters one SQLite statement may carry on this connection."""
    connection.ensure_connection()
    return min(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER), 50_000)


def _next_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve ``count`` ids from the model's id sequence (PostgreSQL).

    The sequence is looked up once (a materialised CTE): ``pg_get_serial_sequence`` beside
    ``nextval`` would run once per id, which made it five times slower.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq) "
            "SELECT nextval(s.seq) FROM s CROSS JOIN generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [i for (i,) in cursor.fetchall()]


def _copy(model: type[models.Model], fields: tuple[str, ...], text: str) -> None:
    """Load rows in ``COPY``'s text format (PostgreSQL ``COPY ... FROM STDIN``)."""
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"COPY {table} ({', '.join(_columns(model, fields))}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(text)


def write_events(
    contract_id: int,
    provider_id: int,
    parsed: ParsedFile,
    progress: Callable[[int], None] | None = None,
    on_batch: BatchHook | None = None,
) -> dict[str, Any]:
    """Create the valid events whose participant exists and that are not recorded yet.

    Batches as :func:`write_participants`, with ``on_batch`` likewise.
    """
    created = skipped = unknown = 0
    problems: list[Problem] = []
    keyed = pseudonymiser(contract_id, provider_id)
    report = pipeline.throttled(PROGRESS_SECONDS, progress)
    for start in range(0, len(parsed.valid), BATCH):
        chunk = parsed.valid[start : start + BATCH]
        keys = {r["row"]: keyed(r["case_reference"]) for r in chunk}
        people = dict(
            Participant.objects.filter(
                contract_id=contract_id, provider_id=provider_id, pseudonym__in=set(keys.values())
            ).values_list("pseudonym", "id")
        )
        existing = set(
            OutcomeEvent.objects.filter(participant_id__in=people.values()).values_list(
                "participant_id", "outcome", "occurred_on"
            )
        )
        fresh = []
        for r in chunk:
            pid = people.get(keys[r["row"]])
            if pid is None:
                unknown += 1
                problems.append(
                    Problem(
                        "no participant with this case_reference on the contract",
                        row=r["row"],
                        column="case_reference",
                    )
                )
            elif (pid, r["outcome"], r["occurred_on"]) in existing:
                skipped += 1
            else:
                fresh.append(
                    OutcomeEvent(
                        participant_id=pid,
                        outcome=r["outcome"],
                        occurred_on=r["occurred_on"],
                        evidence=r["evidence"],
                    )
                )
        if fresh:
            with transaction.atomic():
                OutcomeEvent.objects.bulk_create(fresh, batch_size=BATCH)
                if on_batch is not None:
                    on_batch(chunk[0]["row"], len(chunk), len(fresh))
        created += len(fresh)
        report(start + len(chunk))
    return {
        "created": created,
        "already_there": skipped,
        "unknown_participant": unknown,
        "problems": [p.as_dict() for p in problems[:1000]],
    }


#: SHA-256 of a file, to recognise a re-upload.
content_hash = pipeline.content_hash


#: Participant fields a re-imported row must agree on with the participant already imported.
COMPARED_FIELDS = ("referred_on", "started_on", "left_on", "sex", "ethnicity", "age_band", "cohort")


def refuse_changed_participants(
    parsed: ParsedFile, contract_id: int, provider_id: int, filename: str
) -> None:
    """Turn valid rows whose participant is already imported with other data into problems.

    Re-importing a row that is already there adds nothing; a row whose case reference is
    already imported but whose dates or monitoring differ would otherwise be dropped without a
    word, so it becomes an error naming each difference ("left_on: 2026-01-09 in the file,
    empty on Fullvalue"). Rows identical to what is stored stay valid (and are skipped).
    """
    if parsed.kind != "participants" or not parsed.valid:
        return
    if not Participant.objects.filter(contract_id=contract_id, provider_id=provider_id).exists():
        return  # nothing imported yet: the common first import pays for no lookups
    keyed = pseudonymiser(contract_id, provider_id)

    def stored(keys: list[Hashable]) -> dict[Hashable, dict[str, Any]]:
        found: dict[Hashable, dict[str, Any]] = {}
        for start in range(0, len(keys), 5000):
            for row in Participant.objects.filter(
                contract_id=contract_id, pseudonym__in=keys[start : start + 5000]
            ).values("pseudonym", *COMPARED_FIELDS):
                found[row.pop("pseudonym")] = row
        return found

    pipeline.refuse_changed(
        parsed,
        filename,
        key=lambda row: keyed(row["case_reference"]),
        stored=stored,
        compared=COMPARED_FIELDS,
        message=lambda row, said: (
            f"case_reference {row['case_reference']} is already imported with different "
            f"data ({said}): correct the file, or ask the commissioner to correct the record"
        ),
    )
