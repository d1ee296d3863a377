"""Import organisations from CSV or XLSX: preview first, then write all or only the valid rows.

Nothing is written unless the whole file is valid or the user chooses to import the valid rows;
either way the write is one transaction. Every rejected row is reported with its row number (as a
spreadsheet shows it: the header is row 1), the column and the reason. Re-importing the same file
changes nothing: a row whose identifier (or, from a Fullvalue export, whose ``slug``) is already
registered updates that organisation; unchanged rows are reported as unchanged; a row with
neither whose name matches an existing organisation is refused rather than duplicated.

The file is read, its columns checked and its rows located through the shared import pipeline
(:mod:`fullvalue.web.kernel.imports`): :data:`SCHEMA` describes the columns, and the row reader
here adds what only the directory knows (identifiers and slugs already registered).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import transaction

from fullvalue.domain.roles import Role
from fullvalue.errors import Conflict, FullvalueError, NotFound, PermissionDenied, Problem
from fullvalue.web.audit.services import audit_record
from fullvalue.web.kernel import imports as pipeline
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.tables import Limits
from fullvalue.web.organisations.models import Identifier, ImportBatch, Organisation
from fullvalue.web.organisations.rules import LED_BY_FIELDS, OrganisationInput, parse_organisation
from fullvalue.web.organisations.selectors import (
    EXPORT_CODE_COLUMNS,
    can_edit,
    organisation_values,
)
from fullvalue.web.organisations.services import _unique_slug, _write

COLUMNS = (
    "name",
    "slug",
    "legal_form",
    "sector",
    "identifiers",
    "annual_income",
    "regions",
    "police_force_areas",
    *LED_BY_FIELDS,
    "description",
    "website",
    "town",
    "contact_name",
    "contact_email",
    "contact_phone",
)
REQUIRED = ("name", "legal_form", "sector")
#: Columns read (slug) or tolerated in a Fullvalue export, but not organisation fields.
IGNORED = {"size_band", "slug", "id", "internal_notes", *EXPORT_CODE_COLUMNS.values()}
MAX_ROWS = 10_000
#: Where each row came from in the file (spreadsheet numbering, the header being row 1).
ROW_KEY = "__row__"
MAX_BYTES = 5 * 1024 * 1024
#: What an organisations file may be (see :class:`~fullvalue.web.kernel.tables.Limits`).
LIMITS = Limits(max_bytes=MAX_BYTES, max_unpacked_bytes=50 * MAX_BYTES, max_rows=MAX_ROWS)


@dataclass
class RowOutcome:
    """What importing one row would do."""

    row: int
    name: str
    action: str  # create | update | unchanged | error
    problems: list[Problem] = field(default_factory=list)
    parsed: OrganisationInput | None = None
    organisation_id: int | None = None


@dataclass
class Preview:
    """The outcome of every row of a file."""

    rows: list[RowOutcome]

    @property
    def problems(self) -> list[Problem]:
        """Every problem in the file, in row order."""
        return [p for r in self.rows for p in r.problems]

    @property
    def counts(self) -> dict[str, int]:
        """How many rows would be created, updated, left unchanged or rejected."""
        out = {"create": 0, "update": 0, "unchanged": 0, "error": 0}
        for r in self.rows:
            out[r.action] += 1
        return out


def template_rows() -> tuple[list[str], list[list[str]]]:
    """A template to fill in: every column, and one example organisation in words.

    >>> columns, (example,) = template_rows()
    >>> dict(zip(columns, example))["legal_form"]
    'Registered charity'
    """
    example = {
        "name": "Harbour Lights Trust",
        "legal_form": "Registered charity",
        "sector": "Voluntary and community",
        "identifiers": "GB-CHC-1092948",
        "annual_income": "85000",
        "regions": "North West",
        "police_force_areas": "Merseyside",
        "led_by_women": "yes",
        "town": "Liverpool",
    }
    columns = [c for c in COLUMNS if c != "slug"]
    return columns, [[example.get(c, "") for c in columns]]


#: The rows of an organisations file, for the shared import pipeline.
SCHEMA = pipeline.RowSchema(
    columns=tuple(pipeline.Column(c, required=c in REQUIRED) for c in COLUMNS),
    tolerated=frozenset(IGNORED),
    suggest=True,
    unique_header=True,
)


def _table(filename: str, content: bytes) -> pipeline.Table:
    """The file read within :data:`LIMITS`, refused when its columns are wrong."""
    table = pipeline.read_table(filename, content, LIMITS)
    problems = pipeline.header_problems(SCHEMA, table)
    if problems:
        raise FullvalueError.from_problems(f"{filename} has the wrong columns.", problems)
    return table


def read_table(filename: str, content: bytes) -> list[dict[str, str]]:
    """Read a CSV or XLSX file into rows keyed by normalised column name.

    Raises :class:`FullvalueError` naming the file and the problem when it cannot be read, is
    empty, is too large, or lacks required columns (suggesting the nearest known name).
    """
    rows = []
    for number, row in _table(filename, content).records():
        row[ROW_KEY] = str(number)
        rows.append(row)
    return rows


def _row_reader(actor: Actor) -> Callable[[Mapping[str, int], list[str]], pipeline.RowReader]:
    """What importing one row would do, given the directory as it is now (read once)."""

    def reader(at: Mapping[str, int], header: list[str]) -> pipeline.RowReader:
        present = [(c, at[c]) for c in COLUMNS if c in header and c not in IGNORED]
        i_slug = at["slug"]
        seen = pipeline.Duplicates()
        all_ids = {
            i.value: i.organisation_id for i in Identifier.objects.only("value", "organisation_id")
        }
        slugs = dict(Organisation.objects.values_list("slug", "id"))
        names = {n.lower() for n in Organisation.objects.values_list("name", flat=True)}

        def read(cells: list[str], row_no: int) -> tuple[RowOutcome, list[Problem]]:
            data = {c: cells[i] for c, i in present}
            parsed, problems = parse_organisation(data)
            outcome = RowOutcome(
                row=row_no, name=(data.get("name") or "").strip()[:200], action="error"
            )
            if parsed is not None:
                owners = {all_ids[v] for v in parsed.identifiers if v in all_ids}
                slug = cells[i_slug].strip()
                if slug in slugs:
                    owners.add(slugs[slug])
                elif not owners and not parsed.identifiers and parsed.name.lower() in names:
                    problems.append(
                        Problem(
                            "an organisation with this name already exists: add its identifier "
                            "or slug to update it",
                            column="name",
                        )
                    )
                for value in parsed.identifiers:
                    first = seen.first(value, row_no)
                    if first is not None:
                        problems.append(
                            Problem(f"{value} also appears in row {first}", column="identifiers")
                        )
                if len(owners) > 1:
                    problems.append(
                        Problem(
                            "its identifiers and slug belong to different organisations",
                            column="identifiers",
                        )
                    )
                elif owners:
                    outcome.organisation_id = owners.pop()
            if not problems and parsed is not None:
                outcome.parsed = parsed
                outcome.action = "update" if outcome.organisation_id else "create"
            return outcome, problems

        return read

    return reader


def _outcomes(actor: Actor, table: pipeline.Table) -> Preview:
    schema = replace(SCHEMA, row_reader=_row_reader(actor))
    checked = pipeline.check(schema, table)
    by_row: dict[int, list[Problem]] = {}
    for p in checked.problems:
        by_row.setdefault(p.row or 0, []).append(p)
    outcomes = sorted([*checked.valid, *checked.rejected], key=lambda o: o.row)
    for o in outcomes:
        o.problems = by_row.get(o.row, [])
    _mark_unchanged(outcomes)
    for o in outcomes:
        if o.action == "update" and o.organisation_id and not can_edit(actor, o.organisation_id):
            o.action, o.parsed = "error", None
            o.problems.append(
                pipeline.located(
                    "it would change an organisation you cannot edit",
                    table.filename,
                    o.row,
                    "identifiers",
                )
            )
    return Preview(rows=outcomes)


def _mark_unchanged(outcomes: list[RowOutcome]) -> None:
    ids = [o.organisation_id for o in outcomes if o.action == "update" and o.organisation_id]
    current: dict[int | None, dict[str, Any]] = {
        org.id: organisation_values(org, private=True)
        for org in Organisation.objects.filter(id__in=ids).prefetch_related("identifiers", "areas")
    }
    for o in outcomes:
        if o.action != "update" or o.parsed is None:
            continue
        now = current[o.organisation_id]
        wanted = _merged_values(now, o.parsed)
        if not pipeline.differences(wanted, now, wanted, blank_is_missing=False):
            o.action = "unchanged"


def _merged_values(current: dict[str, Any], parsed: OrganisationInput) -> dict[str, Any]:
    values = parsed.as_dict()
    values["identifiers"] = list(parsed.identifiers)
    values["regions"] = list(parsed.regions)
    values["police_force_areas"] = list(parsed.police_force_areas)
    # Fields a file does not carry keep their current values.
    values["internal_notes"] = current.get("internal_notes", "")
    return {k: v for k, v in values.items() if k in current}


def _require(actor: Actor) -> None:
    actor.require_can_write()
    actor.require_role(
        Role.SYSTEM_ADMIN,
        Role.COMMISSIONER,
        message="Only commissioners and system administrators can import organisations.",
    )


@transaction.atomic
def organisation_import_preview(
    *, actor: Actor, filename: str, content: bytes
) -> tuple[ImportBatch, Preview]:
    """Store an uploaded file and say what importing each row would do; write no organisation."""
    _require(actor)
    preview = _outcomes(actor, _table(filename, content))
    if actor.user_id is None:
        raise PermissionDenied("Files are uploaded by people.")
    batch = ImportBatch.objects.create(
        uploaded_by_id=actor.user_id,
        organisation_id=actor.organisation_id,
        filename=filename[:200],
        content=content,
        result={"counts": preview.counts},
    )
    return batch, preview


def import_batch_get(actor: Actor, batch_id: int) -> ImportBatch:
    """A batch the actor uploaded (or any, for a system administrator)."""
    _require(actor)
    batch = ImportBatch.objects.filter(id=batch_id).first()
    if batch is None or (batch.uploaded_by_id != actor.user_id and not actor.is_system_admin):
        raise NotFound("No such import.")
    return batch


def import_batch_preview(actor: Actor, batch: ImportBatch) -> Preview:
    """Recompute a stored batch's preview against the directory as it is now."""
    return _outcomes(actor, _table(batch.filename, bytes(batch.content)))


@transaction.atomic
def organisation_import_commit(
    *, actor: Actor, batch_id: int, valid_rows_only: bool
) -> dict[str, int]:
    """Write the batch: every row if all are valid, or only the valid rows when chosen.

    Returns the counts of created, updated, unchanged and rejected rows.
    """
    batch = import_batch_get(actor, batch_id)
    batch = ImportBatch.objects.select_for_update().get(id=batch.id)
    if batch.status == ImportBatch.Status.IMPORTED:
        raise Conflict("This file has already been imported.")
    preview = import_batch_preview(actor, batch)
    pipeline.require_choice(
        len(preview.problems),
        valid_rows_only,
        f"{batch.filename} has rows with errors, so nothing was imported.",
        preview.problems,
    )
    for outcome in preview.rows:
        if outcome.parsed is None or outcome.action in {"error", "unchanged"}:
            continue
        if outcome.action == "create":
            org = Organisation(slug=_unique_slug(outcome.parsed.name))
            before: dict[str, Any] = {}
        else:
            assert outcome.organisation_id is not None  # an update names the organisation
            org = Organisation.objects.prefetch_related("identifiers", "areas").get(
                id=outcome.organisation_id
            )
            before = organisation_values(org, private=True)
            outcome_values = _merged_values(before, outcome.parsed)
            outcome.parsed = OrganisationInput(
                **{**outcome.parsed.as_dict(), "internal_notes": outcome_values["internal_notes"]}
            )
        _write(org, outcome.parsed)
        org = Organisation.objects.prefetch_related("identifiers", "areas").get(id=org.id)
        audit_record(
            actor=actor,
            action=f"organisation.import.{outcome.action}",
            object_type="organisation",
            object_id=org.id,
            object_repr=org.name,
            before=before,
            after=organisation_values(org, private=True),
            organisation_id=org.id,
        )
    counts = preview.counts
    batch.status = ImportBatch.Status.IMPORTED
    batch.result = {"counts": counts, "valid_rows_only": valid_rows_only}
    batch.save(update_fields=["status", "result"])
    audit_record(
        actor=actor,
        action="organisation.import",
        object_type="import_batch",
        object_id=batch.id,
        object_repr=batch.filename,
        after={"counts": counts, "valid_rows_only": valid_rows_only},
    )
    return counts
