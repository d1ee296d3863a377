"""Writes of report once: frameworks, adoptions, code mappings, records and submitted returns.

Every write is checked here, recorded in the audit trail, and done in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fullvalue.engine.returns.framework import MEASURES, parse_framework, validate_framework
from fullvalue.engine.returns.vocabulary import load_vocabulary
from fullvalue.errors import Conflict, FullvalueError, NotFound, Problem
from fullvalue.web.audit.services import audit_record
from fullvalue.web.delivery.selectors import participant_ids_of_provider
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.policy import require
from fullvalue.web.reporting import policy, selectors
from fullvalue.web.reporting.models import (
    Adoption,
    CodeMapping,
    ExportLayout,
    Framework,
    OutcomeRecord,
    Submission,
)

#: The most a framework's specification may hold.
MAX_FRAMEWORK = 100_000
#: Codes an indicator may count, on the form (a file may list more).
CODES_PER_INDICATOR = 3
PERIODS = ("month", "quarter", "half-year", "year")
BREAKDOWNS = ("sex", "ethnicity", "age_band", "area")
_PROBLEM_AT = re.compile(r"^indicators\[(\d+)\]\.(\w+)$")


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def framework_toml(data: dict[str, Any]) -> str:
    """TOML text of a framework mapping (the engine's fields), as analysts download it."""
    lines = [
        f"{key} = {_toml_string(data[key])}"
        for key in ("id", "funder", "title", "period", "year_start")
        if data.get(key)
    ]
    if data.get("breakdowns"):
        lines.append(f"breakdowns = [{', '.join(map(_toml_string, data['breakdowns']))}]")
    for indicator in data.get("indicators") or []:
        lines += [
            "",
            "[[indicators]]",
            f"id = {_toml_string(indicator['id'])}",
            f"label = {_toml_string(indicator['label'])}",
            f"measure = {_toml_string(indicator['measure'])}",
            f"codes = [{', '.join(map(_toml_string, indicator['codes']))}]",
        ]
    return "\n".join(lines) + "\n"


def _identifier(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "indicator"
    if not base[0].isalnum():
        base = f"i-{base}"
    out, n = base, 2
    while out in taken:
        out, n = f"{base}-{n}", n + 1
    taken.add(out)
    return out


def framework_from_form(values: dict[str, Any], rows: int) -> dict[str, Any]:
    """A framework mapping from the form's plain fields; problems name the form's fields.

    ``indicator-N-label``, ``indicator-N-measure`` and ``indicator-N-code-1`` ... for each row;
    rows with no label are left out.
    """
    read = fields.Fields()
    title = read(fields.text, values.get("title"), "title", max_length=200, required=True) or ""
    funder = read(fields.text, values.get("funder"), "funder", max_length=200, required=True)
    period = values.get("period", "")
    if period not in PERIODS:
        read.problems.append(Problem("Choose how often the return is made", column="period"))
    month = fields.whole_or(values.get("year_start_month", ""), 0)
    if not 1 <= month <= 12:
        read.problems.append(Problem("Choose the month the year starts", column="year_start_month"))
    taken: set[str] = set()
    indicators = []
    for i in range(rows):
        label = read(
            fields.text, values.get(f"indicator-{i}-label"), f"indicator-{i}-label", max_length=200
        )
        if not label:
            continue
        measure = values.get(f"indicator-{i}-measure", "")
        if measure not in MEASURES:
            read.problems.append(Problem("Choose what is counted", column=f"indicator-{i}-measure"))
        codes = [
            values[key]
            for n in range(1, CODES_PER_INDICATOR + 1)
            if (key := f"indicator-{i}-code-{n}") in values and values[key]
        ]
        if not codes:
            read.problems.append(
                Problem("Choose at least one outcome it counts", column=f"indicator-{i}-code-1")
            )
        indicators.append(
            {"id": _identifier(label, taken), "label": label, "measure": measure,
             "codes": list(dict.fromkeys(codes)), "row": i}
        )  # fmt: skip
    if not indicators and not read.problems:
        read.problems.append(Problem("Add at least one indicator", column="indicator-0-label"))
    read.check("The framework needs correcting.")
    data = {
        "id": _identifier(title, set(Framework.objects.values_list("slug", flat=True))),
        "funder": funder,
        "title": title,
        "period": period,
        "year_start": f"{month:02d}-01",
        "breakdowns": [b for b in BREAKDOWNS if b in (values.get("breakdowns") or [])],
        "indicators": indicators,
    }
    rows_of = [ind.pop("row") for ind in indicators]
    try:
        validate_framework(data)
    except FullvalueError as exc:  # the engine's rules, put on the form's fields
        problems = []
        for p in exc.problems:
            where = _PROBLEM_AT.match(p.location or "")
            if where:
                row, part = rows_of[int(where[1])], where[2]
                column = f"indicator-{row}-" + ("code-1" if part == "codes" else part)
            else:
                column = p.location or "title"
            problems.append(Problem(p.reason[:1].upper() + p.reason[1:], column=column))
        raise FullvalueError.from_problems("The framework needs correcting.", problems) from exc
    return data


@transaction.atomic
def framework_save(*, actor: Actor, spec_toml: str, publish: bool = True) -> Framework:
    """Keep a commissioner's or funder's framework (checked by the engine), published to adopt."""
    actor.require_can_write()
    require(policy.can_publish_framework, actor)
    text = fields.text(spec_toml, "spec_toml", max_length=MAX_FRAMEWORK, multiline=True)
    spec = parse_framework(text, source="framework")
    if Framework.objects.filter(slug=spec.id).exists():
        raise FullvalueError.from_problems(
            "The framework needs correcting.",
            [
                Problem(
                    f"A framework with the id {spec.id!r} exists: choose another id", column="id"
                )
            ],
        )
    framework = Framework.objects.create(
        slug=spec.id,
        title=spec.title or spec.id,
        funder_name=spec.funder,
        owner_id=actor.organisation_id,
        spec_toml=text,
        is_published=publish,
    )
    audit_record(
        actor=actor,
        action="framework.create",
        object_type="framework",
        object_id=framework.id,
        object_repr=framework.title,
        after={"id": spec.id, "indicators": len(spec.indicators), "published": publish},
        organisation_id=actor.organisation_id,
    )
    return framework


@transaction.atomic
def framework_adopt(*, actor: Actor, framework_id: int) -> Adoption:
    """The provider reports to a published framework from now on."""
    actor.require_can_write()
    require(policy.reports_for_organisation, actor)
    framework = Framework.objects.filter(id=framework_id, is_published=True).first()
    if framework is None:
        raise NotFound("No such published framework.")
    adoption, created = Adoption.objects.get_or_create(
        provider_id=actor.organisation_id, framework=framework
    )
    if created:
        audit_record(
            actor=actor,
            action="framework.adopt",
            object_type="framework",
            object_id=framework.id,
            object_repr=framework.title,
            organisation_id=actor.organisation_id,
        )
    return adoption


def _vocabulary_code(value: Any, column: str) -> str:
    code = fields.text(value, column, max_length=60, required=True)
    if code not in load_vocabulary().codes:
        raise fields.FieldInvalid(column, "Choose a code from the shared vocabulary")
    return code


@transaction.atomic
def mapping_set(*, actor: Actor, own_code: str, vocabulary_code: str) -> CodeMapping | None:
    """Map one of the provider's own outcome names to the shared vocabulary, once.

    An empty ``vocabulary_code`` removes the mapping (its events then count for no funder).
    """
    actor.require_can_write()
    require(policy.reports_for_organisation, actor)
    own = fields.text(own_code, "own_code", max_length=60, required=True)
    before = selectors.mappings_of(actor.organisation_id or 0).get(own)
    if not str(vocabulary_code or "").strip():
        CodeMapping.objects.filter(provider_id=actor.organisation_id, own_code=own).delete()
        mapping = None
        after = None
    else:
        code = _vocabulary_code(vocabulary_code, "vocabulary_code")
        mapping, _ = CodeMapping.objects.update_or_create(
            provider_id=actor.organisation_id, own_code=own, defaults={"vocabulary_code": code}
        )
        after = code
    if before != after:
        audit_record(
            actor=actor,
            action="mapping.update",
            object_type="code_mapping",
            object_id=own,
            object_repr=own,
            before={"vocabulary_code": before},
            after={"vocabulary_code": after},
            organisation_id=actor.organisation_id,
        )
    return mapping


@transaction.atomic
def record_add(*, actor: Actor, data: dict[str, Any]) -> OutcomeRecord:
    """Record one thing about a participant's progress, once, in the shared vocabulary."""
    actor.require_can_write()
    require(policy.reports_for_organisation, actor)
    read = fields.Fields()
    participant = read(fields.identifier, data.get("participant"), "participant")
    day = read(fields.date, data.get("recorded_on"), "recorded_on")
    code = read(_vocabulary_code, data.get("code"), "code")
    raw = data.get("value")
    value: Decimal | None = None
    kind = load_vocabulary().codes[code].value if code else "none"
    if kind == "reading":
        reading = read(fields.integer, raw, "value", minimum=1, maximum=10)
        value = Decimal(reading) if reading is not None else None
    elif kind in ("amount", "count"):
        value = read(fields.quantity, raw, "value")
    elif raw not in (None, ""):
        read.problems.append(
            Problem("This code records the event only: leave value blank", column="value")
        )
    if day is not None and day > timezone.localdate():
        read.problems.append(Problem("The date cannot be in the future", column="recorded_on"))
    if participant is not None and participant not in participant_ids_of_provider(
        actor.organisation_id or 0, [participant]
    ):
        read.problems.append(Problem("Choose one of your participants", column="participant"))
    read.check("The record needs correcting.")
    assert participant is not None and day is not None and code is not None  # checked above
    record = OutcomeRecord.objects.create(
        provider_id=actor.organisation_id or 0,
        participant_id=participant,
        recorded_on=day,
        code=code,
        value=value,
    )
    audit_record(
        actor=actor,
        action="record.create",
        object_type="outcome_record",
        object_id=record.id,
        object_repr=code or "",
        after={"code": code, "recorded_on": day, "value": value},
        organisation_id=actor.organisation_id,
    )
    return record


@transaction.atomic
def return_submit(
    *, actor: Actor, framework_id: int, period_start: dt.date, today: dt.date | None = None
) -> Submission:
    """Submit the provider's return for a period: figures produced from its records, then locked."""
    actor.require_can_write()
    require(policy.can_submit_return, actor)
    org_id = actor.organisation_id or 0
    framework = Framework.objects.filter(id=framework_id, adoptions__provider_id=org_id).first()
    if framework is None:
        raise NotFound("Your organisation does not report to that framework.")
    spec = selectors.spec_of(framework)
    periods = dict(selectors.periods_due(spec, today or timezone.localdate(), count=1000))
    if period_start not in periods:
        raise Conflict("That reporting period has not ended yet: submit it once it has.")
    existing = selectors.submission_for(org_id, framework, period_start)
    if existing is not None:
        raise Conflict(
            f"This return was submitted on {existing.submitted_at:%-d %B %Y} and is locked."
        )
    end = periods[period_start]
    figures = selectors.figures_for(spec, selectors.provider_data(org_id), period_start, end)
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                provider_id=org_id,
                framework=framework,
                period_start=period_start,
                period_end=end,
                figures=[{k: f[k] for k in ("id", "label", "value")} for f in figures],
                submitted_by_id=actor.user_id or 0,
                submitted_at=timezone.now(),
            )
    except IntegrityError as exc:  # submitted by someone else a moment ago
        raise Conflict("This return has just been submitted by someone else.") from exc
    audit_record(
        actor=actor,
        action="return.submit",
        object_type="return",
        object_id=submission.id,
        object_repr=f"{framework.title} {period_start} to {end}",
        after={"figures": {f["id"]: f["value"] for f in figures}},
        organisation_id=org_id,
    )
    return submission


@transaction.atomic
def layout_save(*, actor: Actor, framework_id: int, columns: list[dict[str, Any]]) -> ExportLayout:
    """Save a funder's own layout of its return: which columns, headed how, in which order.

    ``columns``: ``{"source", "heading", "position"}``; a column with no heading is left out;
    positions order the rest (ties keep the standard order).
    """
    actor.require_can_write()
    require(policy.reports_for_organisation, actor)
    org = actor.organisation_id or 0
    framework = Framework.objects.filter(id=framework_id, adoptions__provider_id=org).first()
    if framework is None:
        raise NotFound("Your organisation does not report to that framework.")
    known = {c["source"] for c in selectors.layout_of(0, framework)}
    read = fields.Fields()
    kept = []
    for n, column in enumerate(columns):
        source = str(column.get("source", ""))
        if source not in known:
            read.problems.append(Problem("Unknown column", column=f"heading-{n}"))
            continue
        heading = read(fields.text, column.get("heading"), f"heading-{n}", max_length=100)
        position = read(
            fields.integer, column.get("position") or str(n + 1), f"position-{n}",
            minimum=1, maximum=100,
        )  # fmt: skip
        if heading:
            kept.append((position or n + 1, n, {"source": source, "heading": heading}))
    headings = [c["heading"] for _, _, c in kept]
    if len(set(headings)) != len(headings):
        read.problems.append(Problem("Give each column a different heading", column="heading-0"))
    if not kept and not read.problems:
        read.problems.append(Problem("Keep at least one column", column="heading-0"))
    read.check("The layout needs correcting.")
    ordered = [c for _, _, c in sorted(kept, key=lambda k: (k[0], k[1]))]
    layout, _ = ExportLayout.objects.update_or_create(
        provider_id=org, framework=framework, defaults={"columns": ordered}
    )
    audit_record(
        actor=actor,
        action="layout.update",
        object_type="framework",
        object_id=framework.id,
        object_repr=framework.title,
        after={"columns": [c["heading"] for c in ordered]},
        organisation_id=org,
    )
    return layout
