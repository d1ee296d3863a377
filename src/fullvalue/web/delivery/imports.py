"""Bulk import of participants and outcome events from CSV or XLSX.

Validate everything first, then write in bulk: every bad row is named (row, column, reason),
every valid row is written once (rows whose participant or event already exists are skipped, so
re-importing a file creates nothing new), and nothing is written unless the file is valid or the
user chose to import the valid rows. Large files run in the background worker with progress.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from fullvalue.errors import FullvalueError, Problem
from fullvalue.web.core.tables import header_of, is_blank, read_rows
from fullvalue.web.delivery.models import OutcomeEvent, Participant, ParticipantIdentity
from fullvalue.web.delivery.pseudonyms import pseudonym

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
BATCH = 5000
MAX_ROWS = 500_000
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,59}$")


@dataclass
class ParsedFile:
    """Rows split into valid values and problems."""

    kind: str  # participants | events
    total: int
    valid: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        """How many rows have at least one problem."""
        return len({p.row for p in self.problems if p.row is not None and p.row > 1})


def _rows(filename: str, content: bytes) -> tuple[list[str], list[list[str]]]:
    rows = read_rows(filename, content)
    if len(rows) - 1 > MAX_ROWS:
        raise FullvalueError(f"{filename} has more than {MAX_ROWS:,} rows; split it.")
    return header_of(rows[0]), rows[1:]


def _date(
    value: str, column: str, row: int, problems: list[Problem], *, required: bool, today: dt.date
) -> dt.date | None:
    value = value.strip()
    if not value:
        if required:
            problems.append(Problem(f"{column} is required", row=row, column=column))
        return None
    try:
        if "/" not in value:  # no ISO form has a slash, so only UK dates need the pattern
            parsed = dt.date.fromisoformat(value)
        elif (m := _UK_DATE.match(value)) is not None:
            parsed = dt.date(int(m[3]), int(m[2]), int(m[1]))
        else:
            raise ValueError(value)
    except ValueError:
        problems.append(
            Problem(
                f"{value[:20]!r} is not a real date (use 2026-03-31 or 31/03/2026)",
                row=row,
                column=column,
            )
        )
        return None
    if parsed > today:
        problems.append(Problem(f"{parsed:%d/%m/%Y} is in the future", row=row, column=column))
        return None
    return parsed


def parse_participants(header: list[str], rows: list[list[str]], filename: str) -> ParsedFile:
    """Check every participant row; collect problems by row and column."""
    today = timezone.localdate()
    parsed = ParsedFile("participants", len(rows))
    missing = [c for c in ("case_reference", "referred_on") if c not in header]
    unknown = [h for h in header if h and h not in PARTICIPANT_COLUMNS]
    for c in missing:
        parsed.problems.append(
            Problem(f"required column {c!r} is missing", row=1, column=c, source=filename)
        )
    for c in unknown:
        parsed.problems.append(
            Problem(f"column {c!r} is not one we know", row=1, column=c, source=filename)
        )
    if missing or unknown:
        return parsed
    index = {h: i for i, h in enumerate(header)}
    seen: dict[str, int] = {}
    width = len(header)
    # Column positions looked up once; a column the file lacks reads the blank cell that each
    # row gets at position ``width``.
    at = {c: index.get(c, width) for c in PARTICIPANT_COLUMNS}
    i_ref, i_name, i_born = at["case_reference"], at["full_name"], at["date_of_birth"]
    i_referred, i_started, i_left = at["referred_on"], at["started_on"], at["left_on"]
    i_sex, i_ethnicity, i_band, i_cohort = at["sex"], at["ethnicity"], at["age_band"], at["cohort"]
    for offset, cells in enumerate(rows):
        row = offset + 2
        if is_blank(cells):
            continue
        if len(cells) == width:
            cells = [*cells, ""]
        else:
            cells = [*cells[:width], *([""] * (width - len(cells))), ""]
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
        elif ref.upper() in seen:
            problems.append(
                Problem(
                    f"case_reference {ref} also appears in row {seen[ref.upper()]}",
                    row=row,
                    column="case_reference",
                )
            )
        else:
            seen[ref.upper()] = row
        referred = _date(
            cells[i_referred], "referred_on", row, problems, required=True, today=today
        )
        started = _date(cells[i_started], "started_on", row, problems, required=False, today=today)
        left = _date(cells[i_left], "left_on", row, problems, required=False, today=today)
        born = _date(cells[i_born], "date_of_birth", row, problems, required=False, today=today)
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
        # isprintable() is false for every control character, so only then look closer.
        if len(name) > 200 or (not name.isprintable() and any(ord(ch) < 32 for ch in name)):
            problems.append(
                Problem(
                    "full_name is too long or has control characters", row=row, column="full_name"
                )
            )
        if problems:
            for p in problems:
                p_location = f"{filename} row {row}, column {p.column}"
                parsed.problems.append(
                    Problem(
                        p.reason, location=p_location, row=p.row, column=p.column, source=filename
                    )
                )
            continue
        parsed.valid.append(
            {
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
                "cohort": cells[i_cohort].strip()[:40],
            }
        )
    return parsed


def parse_events(
    header: list[str], rows: list[list[str]], filename: str, measures: set[str]
) -> ParsedFile:
    """Check every outcome-event row (the outcome must be a measure the mechanism pays for)."""
    today = timezone.localdate()
    parsed = ParsedFile("events", len(rows))
    missing = [c for c in ("case_reference", "outcome", "occurred_on") if c not in header]
    for c in missing:
        parsed.problems.append(
            Problem(f"required column {c!r} is missing", row=1, column=c, source=filename)
        )
    if missing:
        return parsed
    index = {h: i for i, h in enumerate(header)}
    seen: dict[tuple[str, str, dt.date], int] = {}
    for offset, cells in enumerate(rows):
        row = offset + 2
        if is_blank(cells):
            continue
        cells = cells + [""] * (len(header) - len(cells))
        problems: list[Problem] = []
        ref = cells[index["case_reference"]].strip()
        outcome = cells[index["outcome"]].strip().lower()
        if not _REF.match(ref):
            problems.append(
                Problem("case_reference is missing or malformed", row=row, column="case_reference")
            )
        if outcome not in measures:
            problems.append(
                Problem(
                    f"outcome must be one the contract pays for: "
                    f"{', '.join(sorted(measures)) or 'none'}",
                    row=row,
                    column="outcome",
                )
            )
        when = _date(
            cells[index["occurred_on"]], "occurred_on", row, problems, required=True, today=today
        )
        if not problems and when is not None:
            key = (ref.upper(), outcome, when)
            if key in seen:
                problems.append(
                    Problem(f"the same event is in row {seen[key]}", row=row, column="occurred_on")
                )
            seen[key] = row
        if problems:
            parsed.problems += [
                Problem(
                    p.reason,
                    location=f"{filename} row {row}, column {p.column}",
                    row=row,
                    column=p.column,
                    source=filename,
                )
                for p in problems
            ]
            continue
        evidence = cells[index["evidence"]].strip()[:200] if "evidence" in index else ""
        parsed.valid.append(
            {
                "row": row,
                "case_reference": ref,
                "outcome": outcome,
                "occurred_on": when,
                "evidence": evidence,
            }
        )
    return parsed


def parse_file(filename: str, content: bytes, measures: set[str]) -> ParsedFile:
    """Read and check a participants file or an outcome-events file (told apart by header)."""
    header, rows = _rows(filename, content)
    if "outcome" in header:
        return parse_events(header, rows, filename, measures)
    return parse_participants(header, rows, filename)


def write_participants(
    contract_id: int,
    provider_id: int,
    parsed: ParsedFile,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Create the valid participants that do not exist yet, in batches; return counts."""
    created = skipped = 0
    now = timezone.now()
    for start in range(0, len(parsed.valid), BATCH):
        chunk = parsed.valid[start : start + BATCH]
        keys = {pseudonym(contract_id, provider_id, r["case_reference"]): r for r in chunk}
        existing = _existing_pseudonyms(contract_id, list(keys))
        fresh = [(k, r) for k, r in keys.items() if k not in existing]
        skipped += len(chunk) - len(fresh)
        if fresh:
            with transaction.atomic():
                _insert_participants(contract_id, provider_id, fresh, now)
        created += len(fresh)
        if progress:
            progress(min(start + BATCH, len(parsed.valid)))
    return {"created": created, "already_there": skipped}


def _existing_pseudonyms(contract_id: int, keys: list[str]) -> set[str]:
    """Which of these pseudonyms are already on the contract.

    Plain SQL: the ORM takes longer to compile an IN list of thousands than the query takes to
    run, and on PostgreSQL one array parameter replaces them all.
    """
    contract, column = _columns(Participant, ("contract", "pseudonym"))
    params: list[Any]
    if connection.vendor == "postgresql":
        match, params = f"{column} = ANY(%s)", [contract_id, keys]
    else:
        match, params = f"{column} IN ({', '.join(['%s'] * len(keys))})", [contract_id, *keys]
    table = connection.ops.quote_name(Participant._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {contract} = %s AND {match}", params)
        return {key for (key,) in cursor.fetchall()}


def _insert_participants(
    contract_id: int, provider_id: int, fresh: list[tuple[str, dict[str, Any]]], now: dt.datetime
) -> None:
    """Insert participants and their identities without building model instances.

    ``bulk_create`` spends most of a large import building instances and compiling values
    field by field (about 11 s for 100,000 people); the rows are already checked, so they go
    to the database as tuples: PostgreSQL ``COPY`` with ids drawn from the table's sequence,
    elsewhere multi-row ``INSERT ... RETURNING`` (ids matched back by pseudonym, so the order
    the database returns them in does not matter).
    """
    ops = connection.ops
    day = ops.adapt_datefield_value
    when = ops.adapt_datetimefield_value(now)
    rows = [
        (
            contract_id,
            provider_id,
            key,
            r["cohort"],
            r["sex"],
            r["ethnicity"],
            r["age_band"],
            day(r["referred_on"]),
            day(r["started_on"]),
            day(r["left_on"]),
            when,
        )
        for key, r in fresh
    ]
    if connection.vendor == "postgresql":
        ids = _next_ids(Participant, len(rows))
        _copy(
            Participant,
            ("id", *_PARTICIPANT_FIELDS),
            [(i, *r) for i, r in zip(ids, rows, strict=True)],
        )
        by_key = {key: i for i, (key, _) in zip(ids, fresh, strict=True)}
        write: Callable[[type[models.Model], tuple[str, ...], list[tuple[Any, ...]]], object]
        write = _copy
    else:
        by_key = dict(_insert(Participant, _PARTICIPANT_FIELDS, rows, ("pseudonym", "id")))
        write = _insert
    write(
        ParticipantIdentity,
        _IDENTITY_FIELDS,
        [
            (by_key[key], r["case_reference"], r["full_name"], day(r["date_of_birth"]))
            for key, r in fresh
        ],
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


def _insert(
    model: type[models.Model],
    fields: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    returning: tuple[str, ...] = (),
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (values already adapted for the database); return ``returning`` columns.

    As few statements as the database's limit on query parameters allows.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(_columns(model, fields))
    tail = " RETURNING " + ", ".join(_columns(model, returning)) if returning else ""
    per_statement = max(1, _max_query_params() // len(fields))
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    out: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
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
    return out


def _columns(model: type[models.Model], names: tuple[str, ...]) -> list[str]:
    """The quoted database columns of these fields."""
    by_name = {f.name: str(f.column) for f in model._meta.concrete_fields}
    return [connection.ops.quote_name(by_name[name]) for name in names]


def _max_query_params() -> int:
    """How many parameters one statement may carry on this connection."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        return min(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER), 50_000)
    if connection.vendor == "postgresql":
        return 65_535
    return connection.features.max_query_params or 999


def _next_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve ``count`` ids from the model's id sequence (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [i for (i,) in cursor.fetchall()]


def _copy(model: type[models.Model], fields: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Load ``rows`` with PostgreSQL ``COPY ... FROM STDIN``."""
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"COPY {table} ({', '.join(_columns(model, fields))}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def write_events(
    contract_id: int,
    provider_id: int,
    parsed: ParsedFile,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Create the valid events whose participant exists and that are not recorded yet."""
    created = skipped = unknown = 0
    problems: list[Problem] = []
    for start in range(0, len(parsed.valid), BATCH):
        chunk = parsed.valid[start : start + BATCH]
        keys = {r["row"]: pseudonym(contract_id, provider_id, r["case_reference"]) for r in chunk}
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
        with transaction.atomic():
            OutcomeEvent.objects.bulk_create(fresh, batch_size=BATCH)
        created += len(fresh)
        if progress:
            progress(min(start + BATCH, len(parsed.valid)))
    return {
        "created": created,
        "already_there": skipped,
        "unknown_participant": unknown,
        "problems": [p.as_dict() for p in problems[:1000]],
    }


def content_hash(content: bytes) -> str:
    """SHA-256 of a file, to recognise a re-upload."""
    return hashlib.sha256(content).hexdigest()
