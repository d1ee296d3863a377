"""Records imported from a spreadsheet, on the kernel's one import pipeline.

A file of ``participant, date, code, value`` rows: the participant by its pseudonym, the date
(ISO or UK form, not in the future), the code as the shared vocabulary's code, its label
("Started paid work") or one of the provider's own codes it has mapped; the value as the code
needs (blank for an event, an amount or count, a scale reading 1-10). Every problem is named by
row and column; a record already kept with the same value is skipped, with another value it is
refused naming the difference; with any bad row nothing is written unless the provider chose to
import the valid rows only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from fullvalue.engine.returns.vocabulary import load_vocabulary
from fullvalue.errors import Problem
from fullvalue.web.audit.services import audit_record
from fullvalue.web.delivery.selectors import participants_by_pseudonym
from fullvalue.web.kernel import fields
from fullvalue.web.kernel import imports as pipeline
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.policy import require
from fullvalue.web.kernel.tables import Limits
from fullvalue.web.reporting import policy, selectors
from fullvalue.web.reporting.models import OutcomeRecord, RecordImport

LIMITS = Limits(max_bytes=10 * 1024 * 1024, max_unpacked_bytes=200 * 1024 * 1024, max_rows=100_000)
COLUMNS = ("participant", "date", "code", "value")
TEMPLATE = [
    ["participant", "date", "code", "value"],
    ["PSEUDONYM-FROM-YOUR-PARTICIPANTS", "2026-09-01", "ete.job_start", ""],
    [
        "PSEUDONYM-FROM-YOUR-PARTICIPANTS",
        "2026-09-14",
        "Hours of volunteering or work placement",
        "6",
    ],
    ["PSEUDONYM-FROM-YOUR-PARTICIPANTS", "2026-09-30", "star.work", "5"],
]


@dataclass
class ImportResult:
    """What an import did, or would do: rows read, added, already kept, and every problem."""

    total: int
    added: int
    unchanged: int
    problems: list[Problem]
    written: bool

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems if p.row is not None})


def _schema(organisation_id: int) -> pipeline.RowSchema:
    vocabulary = load_vocabulary().codes
    by_label = {c.label.lower(): c.code for c in vocabulary.values()}
    own = {k.lower(): v for k, v in selectors.mappings_of(organisation_id).items()}
    people = participants_by_pseudonym(organisation_id)
    today = timezone.localdate()

    def row_reader(at: Mapping[str, int], header: list[str]) -> pipeline.RowReader:
        def read(cells: list[str], row: int) -> tuple[dict[str, Any] | None, list[Problem]]:
            problems: list[Problem] = []
            text = {name: cells[at[name]].strip() for name in COLUMNS}
            ids = people.get(text["participant"], [])
            if not text["participant"]:
                problems.append(Problem("participant is required", column="participant"))
            elif not ids:
                problems.append(
                    Problem(
                        f"{text['participant'][:40]!r} is not one of your participants",
                        column="participant",
                    )
                )
            elif len(ids) > 1:
                problems.append(
                    Problem(
                        "this pseudonym is on more than one of your contracts: "
                        "give the one Fullvalue shows for the contract",
                        column="participant",
                    )
                )
            day = None
            try:
                day = fields.sheet_date(text["date"], "date")
                if day > today:
                    problems.append(Problem("the date is in the future", column="date"))
            except fields.FieldInvalid as exc:
                problems += [Problem(p.reason, column="date") for p in exc.problems]
            raw = text["code"]
            code = raw if raw in vocabulary else by_label.get(raw.lower()) or own.get(raw.lower())
            if not raw:
                problems.append(Problem("code is required", column="code"))
            elif code is None:
                problems.append(
                    Problem(
                        f"{raw[:60]!r} is not a code of the shared vocabulary, one of its "
                        "labels, or one of your mapped codes",
                        column="code",
                    )
                )
            value: Decimal | None = None
            kind = vocabulary[code].value if code else "none"
            try:
                if kind == "reading":
                    value = Decimal(fields.integer(text["value"], "value", minimum=1, maximum=10))
                elif kind in ("amount", "count"):
                    value = fields.quantity(text["value"], "value")
                elif text["value"]:
                    problems.append(
                        Problem(
                            "this code records the event only: leave value blank", column="value"
                        )
                    )
            except fields.FieldInvalid as exc:
                problems += [Problem(p.reason, column="value") for p in exc.problems]
            if problems:
                return None, problems
            return {
                pipeline.ROW: row,
                "participant": ids[0],
                "pseudonym": text["participant"],
                "date": day,
                "code": code,
                "value": value,
            }, []

        return read

    return pipeline.RowSchema(
        columns=tuple(pipeline.Column(n, required=n != "value") for n in COLUMNS),
        suggest=True,
        keys=lambda r: [(r["participant"], r["date"], r["code"])],
        key_column="code",
        repeated=lambda key, first: f"the same record is in row {first}",
        row_reader=row_reader,
    )


def _stored(organisation_id: int, keys: list[Any]) -> dict[Any, dict[str, Any]]:
    if not keys:
        return {}
    ids = {k[0] for k in keys}
    wanted = set(keys)
    return {
        (pid, day, code): {"value": value}
        for pid, day, code, value in OutcomeRecord.objects.filter(
            provider_id=organisation_id, participant_id__in=ids
        ).values_list("participant_id", "recorded_on", "code", "value")
        if (pid, day, code) in wanted
    }


#: Rows written in one transaction by the worker (progress is told between batches).
BATCH = 5_000


def _checked(org: int, filename: str, content: bytes) -> tuple[pipeline.Preview, list[Any], int]:
    """Read and check a file; return the preview, its new rows and how many are already kept."""
    table = pipeline.read_table(filename, content, LIMITS)
    preview = pipeline.check(_schema(org), table)
    pipeline.refuse_changed(
        preview,
        filename,
        key=lambda r: (r["participant"], r["date"], r["code"]),
        stored=lambda keys: _stored(org, keys),
        compared=["value"],
        message=lambda r, said: f"{r['pseudonym']} already has {r['code']} on {r['date']}: {said}",
    )
    stored = _stored(org, [(r["participant"], r["date"], r["code"]) for r in preview.valid])
    new = [r for r in preview.valid if (r["participant"], r["date"], r["code"]) not in stored]
    return preview, new, len(preview.valid) - len(new)


def records_import(
    *, actor: Actor, filename: str, content: bytes, valid_rows_only: bool = False
) -> tuple[ImportResult, RecordImport | None]:
    """Check a records file; when it may be written, queue it for the task worker.

    Checked before any write transaction opens. Returns what the file holds and, when queued,
    the import the worker runs (its page follows the progress).
    """
    actor.require_can_write()
    require(policy.reports_for_organisation, actor)
    org = actor.organisation_id or 0
    preview, new, unchanged = _checked(org, filename, content)
    result = ImportResult(
        total=preview.total,
        added=len(new),
        unchanged=unchanged,
        problems=preview.problems,
        written=False,
    )
    if preview.header_refused or (preview.problems and not valid_rows_only) or not new:
        return result, None
    with transaction.atomic():
        job = RecordImport.objects.create(
            provider_id=org,
            uploaded_by_id=actor.user_id or 0,
            filename=filename[:200],
            content=content,
            valid_rows_only=valid_rows_only,
            total_rows=len(new),
            result={"bad_rows": result.bad_rows, "unchanged": unchanged},
        )
        audit_record(
            actor=actor,
            action="record.import_start",
            object_type="record_import",
            object_id=job.id,
            object_repr=job.filename,
            after={
                "rows": len(new),
                "bad_rows": result.bad_rows,
                "valid_rows_only": valid_rows_only,
            },
            organisation_id=org,
        )
        from fullvalue.web.reporting.tasks import run_record_import

        transaction.on_commit(lambda: run_record_import.enqueue(job.id))
    result.written = True
    return result, job


def record_import_run(job_id: int) -> dict[str, Any]:
    """Write a queued file's new records in batches (the task worker); safe to run again."""
    job = RecordImport.objects.select_related("uploaded_by").get(id=job_id)
    if job.status == RecordImport.Status.DONE:
        return dict(job.result)
    RecordImport.objects.filter(id=job.id).update(status=RecordImport.Status.RUNNING)
    preview, new, unchanged = _checked(job.provider_id, job.filename, bytes(job.content))
    if preview.problems and not job.valid_rows_only:  # the file was refused when checked
        new = []

    def progress(done: int) -> None:
        RecordImport.objects.filter(id=job.id).update(processed_rows=done)

    report = pipeline.throttled(1.0, progress)
    for start in range(0, len(new), BATCH):
        with transaction.atomic():
            OutcomeRecord.objects.bulk_create(
                OutcomeRecord(
                    provider_id=job.provider_id,
                    participant_id=r["participant"],
                    recorded_on=r["date"],
                    code=r["code"],
                    value=r["value"],
                )
                for r in new[start : start + BATCH]
            )
        report(min(start + BATCH, len(new)))
    uploader = Actor(
        user_id=job.uploaded_by_id,
        email=job.uploaded_by.email,
        organisation_id=job.provider_id,
        via="task",
    )
    result = {
        "added": len(new),
        "unchanged": unchanged,
        "bad_rows": len({p.row for p in preview.problems}),
        "finished_at": timezone.now().isoformat(),
    }
    with transaction.atomic():
        RecordImport.objects.filter(id=job.id).update(
            status=RecordImport.Status.DONE, result=result, processed_rows=len(new)
        )
        audit_record(
            actor=uploader,
            action="record.import",
            object_type="record_import",
            object_id=job.id,
            object_repr=job.filename,
            after={k: v for k, v in result.items() if k != "finished_at"},
            organisation_id=job.provider_id,
        )
    return result


def record_import_of(actor: Actor, job_id: int) -> RecordImport:
    """An import the actor's organisation made (others are not found)."""
    job = RecordImport.objects.filter(id=job_id, provider_id=actor.organisation_id).first()
    if job is None:
        from fullvalue.errors import NotFound

        raise NotFound("No such import.")
    return job


def template() -> tuple[list[str], list[list[str]]]:
    """The records file's columns and example rows, to download and fill in."""
    return TEMPLATE[0], TEMPLATE[1:]


MAPPING_LIMITS = Limits(max_bytes=1024 * 1024, max_unpacked_bytes=20 * 1024 * 1024, max_rows=2_000)


def mappings_import(*, actor: Actor, filename: str, content: bytes) -> tuple[int, list[Problem]]:
    """Map many own codes at once from a spreadsheet of ``own_code, vocabulary_code`` rows.

    The vocabulary code may be given by its words ("Started paid work"). All or nothing: with
    any bad row nothing is mapped, and every problem is named by row and column.
    """
    actor.require_can_write()
    require(policy.reports_for_organisation, actor)
    vocabulary = load_vocabulary().codes
    by_label = {c.label.lower(): c.code for c in vocabulary.values()}

    def vocabulary_code(text: str, column: str) -> str:
        code = text if text in vocabulary else by_label.get(text.lower())
        if code is None:
            raise fields.FieldInvalid(
                column, f"{text[:60]!r} is not a code of the shared vocabulary or its words"
            )
        return code

    def own_code(text: str, column: str) -> str:
        return fields.text(text, column, max_length=60, required=True)

    schema = pipeline.RowSchema(
        columns=(
            pipeline.Column("own_code", required=True, blank=False, read=own_code),
            pipeline.Column("vocabulary_code", required=True, blank=False, read=vocabulary_code),
        ),
        suggest=True,
        keys=lambda r: [r["own_code"]],
        key_column="own_code",
        repeated=lambda key, first: f"{key} is already mapped in row {first}",
    )
    preview = pipeline.check(schema, pipeline.read_table(filename, content, MAPPING_LIMITS))
    if preview.problems:
        return 0, preview.problems
    from fullvalue.web.reporting.services import mapping_set

    with transaction.atomic():
        for row in preview.valid:
            mapping_set(
                actor=actor, own_code=row["own_code"], vocabulary_code=row["vocabulary_code"]
            )
    return len(preview.valid), []
