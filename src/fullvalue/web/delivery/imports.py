"""Bulk import of participants and outcome events from CSV or XLSX.

Validate everything first, then write in bulk: every bad row is named (row, column, reason),
every valid row is written once (rows whose participant or event already exists are skipped, so
re-importing a file creates nothing new), and nothing is written unless the file is valid or the
user chose to import the valid rows. Large files run in the background worker with progress.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from openpyxl import load_workbook

from fullvalue.errors import FullvalueError, Problem
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
    if not content:
        raise FullvalueError(f"{filename} is empty.")
    lower = filename.lower()
    try:
        if lower.endswith(".csv"):
            reader = csv.reader(io.StringIO(content.decode("utf-8-sig")))
            rows = list(reader)
        elif lower.endswith(".xlsx"):
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            rows = [
                [
                    ""
                    if v is None
                    else (v.isoformat()[:10] if isinstance(v, dt.datetime) else str(v))
                    for v in r
                ]
                for r in book.worksheets[0].iter_rows(values_only=True)
            ]
        else:
            raise FullvalueError(f"{filename} is not a CSV or XLSX file.")
    except FullvalueError:
        raise
    except UnicodeDecodeError as exc:
        raise FullvalueError(f"{filename} is not UTF-8 text: save it as CSV UTF-8.") from exc
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise FullvalueError(f"{filename} could not be read as a spreadsheet.") from exc
    if not rows:
        raise FullvalueError(f"{filename} has no rows.")
    header = [h.strip().lower().replace(" ", "_") for h in rows[0]]
    if len(rows) - 1 > MAX_ROWS:
        raise FullvalueError(f"{filename} has more than {MAX_ROWS:,} rows; split it.")
    return header, rows[1:]


def _date(
    value: str, column: str, row: int, problems: list[Problem], *, required: bool, today: dt.date
) -> dt.date | None:
    value = value.strip()
    if not value:
        if required:
            problems.append(Problem(f"{column} is required", row=row, column=column))
        return None
    try:
        if (m := _UK_DATE.match(value)) is not None:
            parsed = dt.date(int(m[3]), int(m[2]), int(m[1]))
        else:
            parsed = dt.date.fromisoformat(value)
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
    for offset, cells in enumerate(rows):
        row = offset + 2
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))

        def get(column: str, cells: list[str] = cells) -> str:
            return cells[index[column]] if column in index else ""

        problems: list[Problem] = []
        ref = get("case_reference").strip()
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
            get("referred_on"), "referred_on", row, problems, required=True, today=today
        )
        started = _date(get("started_on"), "started_on", row, problems, required=False, today=today)
        left = _date(get("left_on"), "left_on", row, problems, required=False, today=today)
        born = _date(
            get("date_of_birth"), "date_of_birth", row, problems, required=False, today=today
        )
        if referred and started and started < referred:
            problems.append(
                Problem("started_on is before referred_on", row=row, column="started_on")
            )
        if started and left and left < started:
            problems.append(Problem("left_on is before started_on", row=row, column="left_on"))
        sex = get("sex").strip().lower()
        if sex and sex not in SEXES:
            problems.append(
                Problem(f"sex must be one of {', '.join(sorted(SEXES))}", row=row, column="sex")
            )
        ethnicity = get("ethnicity").strip().lower()
        if ethnicity and ethnicity not in ETHNICITIES:
            problems.append(
                Problem("ethnicity must be a Census 2021 category", row=row, column="ethnicity")
            )
        band = get("age_band").strip()
        if band and band not in AGE_BANDS:
            problems.append(
                Problem(
                    f"age_band must be one of {', '.join(sorted(AGE_BANDS))}",
                    row=row,
                    column="age_band",
                )
            )
        name = get("full_name").strip()
        if len(name) > 200 or any(ord(ch) < 32 for ch in name):
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
                "cohort": get("cohort").strip()[:40],
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
    for start in range(0, len(parsed.valid), BATCH):
        chunk = parsed.valid[start : start + BATCH]
        keys = {pseudonym(contract_id, provider_id, r["case_reference"]): r for r in chunk}
        existing = set(
            Participant.objects.filter(
                contract_id=contract_id, pseudonym__in=list(keys)
            ).values_list("pseudonym", flat=True)
        )
        fresh = [(k, r) for k, r in keys.items() if k not in existing]
        skipped += len(chunk) - len(fresh)
        with transaction.atomic():
            people = Participant.objects.bulk_create(
                [
                    Participant(
                        contract_id=contract_id,
                        provider_id=provider_id,
                        pseudonym=k,
                        cohort=r["cohort"],
                        sex=r["sex"],
                        ethnicity=r["ethnicity"],
                        age_band=r["age_band"],
                        referred_on=r["referred_on"],
                        started_on=r["started_on"],
                        left_on=r["left_on"],
                    )
                    for k, r in fresh
                ],
                batch_size=BATCH,
            )
            ParticipantIdentity.objects.bulk_create(
                [
                    ParticipantIdentity(
                        participant=p,
                        case_reference=r["case_reference"],
                        full_name=r["full_name"],
                        date_of_birth=r["date_of_birth"],
                    )
                    for p, (_, r) in zip(people, fresh, strict=True)
                ],
                batch_size=BATCH,
            )
        created += len(fresh)
        if progress:
            progress(min(start + BATCH, len(parsed.valid)))
    return {"created": created, "already_there": skipped}


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
