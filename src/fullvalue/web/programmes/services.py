"""Writes for programmes: design, publish, pre-market engagement; and the live risk preview."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from fullvalue.engine.payments import parse_spec, simulate
from fullvalue.engine.payments.spec import validate_spec
from fullvalue.errors import Conflict, FullvalueError, NotFound, PermissionDenied, Problem
from fullvalue.web.audit.services import audit_record
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.caching import cached
from fullvalue.web.kernel.policy import require
from fullvalue.web.kernel.slugs import unique_slug
from fullvalue.web.organisations.selectors import areas_by_codes
from fullvalue.web.programmes import designer, policy, risk
from fullvalue.web.programmes.models import (
    EngagementNotice,
    OutcomeDefinition,
    Programme,
    ProgrammeDraft,
)
from fullvalue.web.programmes.risk import Figures, Provider, RiskPreview

#: Simulated runs behind a preview, and the seed (the same inputs always give the same preview).
RUNS = 2000
SEED = 1


def risk_preview(
    mechanism_toml: str,
    figures: Figures | None = None,
    provider: Provider | None = None,
    *,
    scale_to_budget: bool = True,
    runs: int = RUNS,
    seed: int = SEED,
) -> RiskPreview:
    """The risk preview of a mechanism with a programme's figures, cached by all its inputs.

    Without ``figures`` the specification's own periods, first cohort size and value are used
    (its ``[simulation]`` cohort as expected, low and high volume; its mean payments as budget).
    """
    own = figures is None
    if figures is None:
        figures = _own_figures(parse_spec(mechanism_toml))
        scale_to_budget = False
    provider = provider or Provider()
    return cached(
        "risk-preview",
        [mechanism_toml, figures, own, provider, scale_to_budget, runs, seed],
        lambda: risk.risk_preview(
            parse_spec(mechanism_toml),
            figures,
            provider,
            scale_to_budget=scale_to_budget,
            own_figures=own,
            runs=runs,
            seed=seed,
        ),
    )


def _own_figures(spec: Any) -> Figures:
    periods = sorted(spec.periods, key=lambda p: p.start)
    size = spec.simulation.cohort_size if spec.simulation else 1
    years = max(1, round(((periods[-1].end - periods[0].start).days + 1) / 365.25))
    result = simulate(spec, runs=200, seed=SEED)
    return Figures(
        budget=Decimal(repr(float(result.income.mean()))).quantize(Decimal("0.01")),
        years=years,
        start=periods[0].start,
        volume_low=size,
        volume_expected=size,
        volume_high=size,
    )


def programme_figures(programme: Programme) -> Figures:
    """A programme's own figures for the risk preview."""
    return Figures(
        budget=programme.budget,
        years=programme.years,
        start=programme.starts_on or next_first_of_april(programme.created_at.date()),
        volume_low=programme.volume_low,
        volume_expected=programme.volume_expected,
        volume_high=programme.volume_high,
    )


def programme_risk(programme: Programme, provider: Provider | None = None) -> RiskPreview:
    """The programme's mechanism with its own figures.

    A mechanism written for another programme (uploaded as TOML) is scaled to the budget; a
    designed one already fits it.
    """
    return risk_preview(
        programme.mechanism_toml,
        programme_figures(programme),
        provider,
        scale_to_budget=programme.mechanism_design is None,
    )


def next_first_of_april(today: dt.date) -> dt.date:
    """The next 1 April (a financial year's start) on or after ``today``.

    >>> next_first_of_april(dt.date(2026, 12, 6)), next_first_of_april(dt.date(2027, 4, 1))
    (datetime.date(2027, 4, 1), datetime.date(2027, 4, 1))
    """
    april = dt.date(today.year, 4, 1)
    return april if april >= today else dt.date(today.year + 1, 4, 1)


_PATH = re.compile(r"^components\[(\d+)\]\.?(.*)$")


def plain_problem(problem: Problem) -> str:
    """A specification problem in words: ``Payment 1, contract value: it is missing``."""
    reason = problem.reason.replace("This field is required but is missing.", "it is missing")
    where = problem.location or ""
    if m := _PATH.match(where):
        field = m[2].replace("_", " ").replace(".", ", ")
        where = f"payment {int(m[1]) + 1}" + (f", {field}" if field else "")
    else:
        where = where.replace("_", " ").replace(".", ", ")
    return f"The specification's {where}: {reason}" if where else reason


def _require_commissioner(actor: Actor) -> None:
    actor.require_can_write()
    require(policy.can_design_programme, actor)


def parse_figures(data: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The programme's figures (volumes, budget, years, start date) and their problems."""
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    volumes = {}
    for name in ("volume_low", "volume_expected", "volume_high"):
        try:
            volumes[name] = int(str(data.get(name) or "").strip())
            if volumes[name] <= 0:
                raise ValueError
        except ValueError:
            problems.append(Problem("Enter a whole number of people a year, above 0", column=name))
    if len(volumes) == 3 and not (
        volumes["volume_low"] <= volumes["volume_expected"] <= volumes["volume_high"]
    ):
        problems.append(Problem("Volumes must run low ≤ expected ≤ high", column="volume_expected"))
    out.update(volumes)
    try:
        budget = Decimal(str(data.get("budget") or "").replace(",", "").lstrip("£"))
        if not budget.is_finite() or budget <= 0:
            raise InvalidOperation
        out["budget"] = budget.quantize(Decimal("0.01"))
    except InvalidOperation:
        problems.append(Problem("Enter the budget in pounds, above 0", column="budget"))
    try:
        out["years"] = int(data.get("years") or 3)
        if not 1 <= out["years"] <= 15:
            raise ValueError
    except ValueError:
        problems.append(Problem("A programme runs for 1 to 15 years", column="years"))
        out.pop("years", None)
    out["starts_on"] = _start(data, problems)
    return out, problems


#: A programme's own text: (field, label, stated maximum, may hold line breaks). Longer text
#: is refused with the field named, never cut.
TEXT_FIELDS = (
    ("title", "Title", 200, False),
    ("summary", "Summary", 5000, True),
    ("cohort", "Cohort", 2000, True),
    ("current_provision", "Current provision", 5000, True),
    ("what_must_change", "What must change", 5000, True),
)
REQUIRED_TEXT = {"title", "summary", "cohort"}


def parse_programme(data: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    read = fields.Fields(problems)
    for name, label, limit, multiline in TEXT_FIELDS:
        value = read(fields.text, data.get(name), name, max_length=limit, multiline=multiline)
        if value is None:
            value = ""
        elif not value and name in REQUIRED_TEXT:
            problems.append(Problem(f"Enter the {label.lower()}", column=name))
        out[name] = value
    figures, figure_problems = parse_figures(data)
    out.update(figures)
    problems += figure_problems
    setting = data.get("delivery_setting") or "mixed"
    if setting not in ("urban", "rural", "mixed"):
        problems.append(Problem("Choose urban, rural or mixed", column="delivery_setting"))
    out["delivery_setting"] = setting
    codes = [str(c) for c in (data.get("outcomes") or [])]
    found = list(OutcomeDefinition.objects.filter(code__in=codes, is_catalogue=True))
    custom = []
    for i, row in enumerate(data.get("custom_outcomes") or []):
        where = f"custom_outcomes[{i}]"
        found_before = len(problems)
        texts = [
            read(fields.text, row.get(key), column, max_length=limit, multiline=multiline) or ""
            for key, column, limit, multiline in (
                ("name", "custom_outcome_name", 200, False),
                ("definition", "custom_outcome_definition", 2000, True),
                ("evidence_rule", "custom_outcome_evidence", 2000, True),
            )
        ]
        problems[found_before:] = [
            dataclasses.replace(p, location=where) for p in problems[found_before:]
        ]
        name, definition, evidence = texts
        if not (name or definition or evidence):
            continue
        if not name:
            problems.append(
                Problem("Name the custom outcome", location=where, column="custom_outcome_name")
            )
        if not definition:
            problems.append(
                Problem(
                    "Write the custom outcome's definition: what counts",
                    location=where,
                    column="custom_outcome_definition",
                )
            )
        if not evidence:
            problems.append(
                Problem(
                    "Write the evidence rule: what proves the outcome",
                    location=where,
                    column="custom_outcome_evidence",
                )
            )
        custom.append({"name": name, "definition": definition, "evidence_rule": evidence})
    out["custom_outcomes"] = custom
    if not codes and not custom:
        problems.append(
            Problem("Choose at least one outcome the programme pays for", column="outcomes")
        )
    elif len(found) != len(set(codes)):
        missing = sorted(set(codes) - {o.code for o in found})
        problems.append(Problem(f"Unknown outcomes: {', '.join(missing)}", column="outcomes"))
    out["outcomes"] = found
    area_codes = [str(c) for c in (data.get("areas") or [])]
    areas = areas_by_codes(area_codes)
    if len(areas) != len(set(area_codes)):
        problems.append(Problem("Unknown area", column="areas"))
    out["areas"] = areas
    out["mechanism_toml"], out["mechanism_design"] = _mechanism(data, out, problems)
    return out, problems


def _start(data: dict[str, Any], problems: list[Problem]) -> dt.date:
    text = str(data.get("starts_on") or "").strip()
    if not text:
        return next_first_of_april(timezone.localdate())
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(Problem("Enter the start date like 2027-04-01", column="starts_on"))
        return next_first_of_april(timezone.localdate())


def uses_designer(data: dict[str, Any]) -> bool:
    """The mechanism comes from the designer, unless a specification was uploaded (or sent)."""
    source = str(data.get("mechanism_source") or "")
    if source:
        return source != "upload"
    return not str(data.get("mechanism_toml") or "").strip()


def figures_from(values: dict[str, Any]) -> Figures | None:
    """The programme's figures from parsed values, or ``None`` while any is missing."""
    keys = ("budget", "years", "starts_on", "volume_low", "volume_expected", "volume_high")
    if not all(k in values for k in keys):
        return None
    return Figures(
        budget=values["budget"],
        years=values["years"],
        start=values["starts_on"],
        volume_low=values["volume_low"],
        volume_expected=values["volume_expected"],
        volume_high=values["volume_high"],
    )


def _mechanism(
    data: dict[str, Any], out: dict[str, Any], problems: list[Problem]
) -> tuple[str, dict[str, str] | None]:
    if not uses_designer(data):
        mechanism = str(data.get("mechanism_toml") or "").strip()
        try:
            parse_spec(mechanism)
        except FullvalueError as exc:
            for p in exc.problems or [Problem(exc.message)]:
                problems.append(Problem(plain_problem(p), column="mechanism_toml"))
        return mechanism, None
    design, design_problems = designer.parse_design(data)
    problems += design_problems
    catalogue = dict(OutcomeDefinition.objects.values_list("code", "name"))
    ticked = {o.code for o in out.get("outcomes", [])}
    if mismatch := designer.rule_outcomes_match_payments(ticked, design.outcome_codes(), catalogue):
        problems.append(mismatch)
    figures = figures_from(out)
    if figures is None or design_problems:
        return "", designer.design_values(design)
    spec = designer.build_spec(design, _designer_programme(out, figures))
    try:
        validate_spec(spec)
    except FullvalueError as exc:
        problems += [Problem(plain_problem(p), column="guaranteed_percent") for p in exc.problems]
    return designer.to_toml(spec), designer.design_values(design)


def _designer_programme(values: dict[str, Any], figures: Figures) -> designer.Programme:
    return designer.Programme(
        budget=figures.budget,
        years=figures.years,
        start=figures.start,
        volume_low=figures.volume_low,
        volume_expected=figures.volume_expected,
        volume_high=figures.volume_high,
        name=values.get("title") or "Programme",
    )


def figures_from_request(data: dict[str, Any]) -> Figures | None:
    """The programme's figures sent to the API (all or none; a missing one is named)."""
    keys = ("budget", "years", "start", "volume_low", "volume_expected", "volume_high")
    given = [k for k in keys if data.get(k) is not None]
    if not given:
        return None
    problems = [
        Problem(f"Give {k} too: the programme's figures go together", column=k)
        for k in keys
        if data.get(k) is None
    ]
    if not problems and not data["volume_low"] <= data["volume_expected"] <= data["volume_high"]:
        problems.append(Problem("Volumes must run low ≤ expected ≤ high", column="volume_expected"))
    if problems:
        raise FullvalueError.from_problems("The programme's figures are incomplete.", problems)
    return Figures(
        Decimal(data["budget"]).quantize(Decimal("0.01")),
        data["years"],
        data["start"],
        data["volume_low"],
        data["volume_expected"],
        data["volume_high"],
    )


def design_toml_for(design: dict[str, Any], figures: Figures | None) -> str:
    """The specification of a design sent to the API: a starting point and any changes to it."""
    if figures is None:
        raise FullvalueError.from_problems(
            "A design needs the programme's figures.",
            [Problem("Give budget, years, start and the three volumes", column="budget")],
        )
    values: dict[str, Any] = {}
    name = design.get("starting_point", "blended")
    if name not in designer.STARTING_POINTS:
        raise FullvalueError.from_problems(
            "Unknown starting point.",
            [
                Problem(
                    f"Choose one of {', '.join(designer.STARTING_POINTS)}",
                    column="design.starting_point",
                )
            ],
        )
    values.update(
        designer.design_values(designer.starting_point(name, _designer_programme({}, figures)))
    )
    values.update(
        {k: ("yes" if v else "no") if isinstance(v, bool) else str(v) for k, v in design.items()}
    )
    parsed, problems = designer.parse_design(values)
    if problems:
        raise FullvalueError.from_problems(
            "The design needs correcting.",
            [Problem(p.reason, column=f"design.{p.column}") for p in problems],
        )
    return designer.to_toml(designer.build_spec(parsed, _designer_programme({}, figures)))


def design_toml(data: dict[str, Any]) -> str:
    """The specification a design makes with the programme's figures (for download, preview)."""
    values, problems = parse_programme({**data, "mechanism_source": "designer"})
    mechanism = values["mechanism_toml"]
    relevant = [p for p in problems if p.column not in ("title", "summary", "cohort", "outcomes")]
    if relevant or not mechanism:
        raise FullvalueError.from_problems("The design needs correcting.", relevant)
    return mechanism


@transaction.atomic
def programme_create(*, actor: Actor, data: dict[str, Any]) -> Programme:
    """Design a programme: outcomes, cohort and volume, areas, budget, mechanism."""
    _require_commissioner(actor)
    if actor.organisation_id is None:
        raise PermissionDenied("Act for a commissioning organisation to design a programme.")
    values, problems = parse_programme(data)
    if problems:
        raise FullvalueError.from_problems("The programme needs correcting.", problems)
    outcomes, areas = values.pop("outcomes"), values.pop("areas")
    for row in values.pop("custom_outcomes"):
        code = unique_slug(
            OutcomeDefinition.objects.all(),
            f"{actor.organisation_id}-{row['name']}",
            field="code",
            fallback="outcome",
            max_length=50,
        )
        outcomes.append(
            OutcomeDefinition.objects.create(
                code=code,
                is_catalogue=False,
                organisation_id=actor.organisation_id,
                pathway="Custom",
                **row,
            )
        )
    slug = unique_slug(Programme.objects.all(), values["title"], fallback="programme")
    programme = Programme.objects.create(commissioner_id=actor.organisation_id, slug=slug, **values)
    programme.outcomes.set(outcomes)
    programme.areas.set(areas)
    audit_record(
        actor=actor,
        action="programme.create",
        object_type="programme",
        object_id=programme.id,
        object_repr=programme.title,
        after={
            **{
                k: str(v) if isinstance(v, dt.date) else v
                for k, v in values.items()
                if k not in ("mechanism_toml", "mechanism_design")
            },
            "outcomes": [o.code for o in outcomes],
            "areas": [a.code for a in areas],
        },
    )
    return programme


@transaction.atomic
def programme_update(*, actor: Actor, programme_id: int, data: dict[str, Any]) -> Programme:
    """Change a draft programme (a published one is changed through its tenders' amendments)."""
    _require_commissioner(actor)
    programme = _own_programme(actor, programme_id)
    if programme.status != Programme.Status.DRAFT:
        raise Conflict("Only a draft programme can be changed.")
    values, problems = parse_programme(data)
    if problems:
        raise FullvalueError.from_problems("The programme needs correcting.", problems)
    outcomes, areas = values.pop("outcomes"), values.pop("areas")
    values.pop("custom_outcomes")
    before = {"title": programme.title, "budget": str(programme.budget)}
    for name, value in values.items():
        setattr(programme, name, value)
    programme.save()
    programme.outcomes.set(outcomes + list(programme.outcomes.filter(is_catalogue=False)))
    programme.areas.set(areas)
    audit_record(
        actor=actor,
        action="programme.update",
        object_type="programme",
        object_id=programme.id,
        object_repr=programme.title,
        before=before,
        after={"title": programme.title, "budget": str(programme.budget)},
    )
    return programme


def _own_programme(actor: Actor, programme_id: int) -> Programme:
    programme = Programme.objects.filter(id=programme_id).first()
    if programme is None:
        raise NotFound("No such programme.")
    require(policy.can_manage_programme, actor, programme)
    return programme


@transaction.atomic
def programme_publish(*, actor: Actor, programme_id: int) -> Programme:
    """Publish a programme so the market can see it."""
    _require_commissioner(actor)
    programme = _own_programme(actor, programme_id)
    if programme.status == Programme.Status.PUBLISHED:
        raise Conflict("The programme is already published.")
    programme.status = Programme.Status.PUBLISHED
    programme.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="programme.publish",
        object_type="programme",
        object_id=programme.id,
        object_repr=programme.title,
        before={"status": "draft"},
        after={"status": "published"},
    )
    return programme


# --- Drafts: a long form saved before it is complete ------------------------------------------

#: The form's fields a draft keeps besides the programme's text (anything else sent is ignored).
DRAFT_FIELDS = (
    "volume_low",
    "volume_expected",
    "volume_high",
    "budget",
    "years",
    "starts_on",
    "delivery_setting",
    "custom_outcome_name",
    "custom_outcome_definition",
    "custom_outcome_evidence",
    "mechanism_source",
    "provider_reserves",
    "provider_share",
)
DRAFT_LISTS = ("outcomes", "areas")
#: The longest value a draft keeps in a short field, and the longest uploaded specification.
DRAFT_SHORT_MAX = 2000
DRAFT_TOML_MAX = 200_000


def with_custom_outcomes(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values with its one custom outcome row as ``custom_outcomes``."""
    data = dict(values)
    data.setdefault(
        "custom_outcomes",
        [
            {
                "name": data.get("custom_outcome_name", ""),
                "definition": data.get("custom_outcome_definition", ""),
                "evidence_rule": data.get("custom_outcome_evidence", ""),
            }
        ],
    )
    return data


def draft_form(data: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The values a draft keeps, and the problems that stop even a draft being saved.

    A draft needs its title; text over its stated maximum is refused (never cut) as it would be
    on publishing. Everything else may be missing or still wrong: :func:`draft_problems` says what.
    """
    problems: list[Problem] = []
    read = fields.Fields(problems)
    form: dict[str, Any] = {}
    for name, _label, limit, multiline in TEXT_FIELDS:
        form[name] = (
            read(fields.text, data.get(name), name, max_length=limit, multiline=multiline) or ""
        )
    if not form["title"] and not any(p.column == "title" for p in problems):
        problems.append(Problem("Enter a title to save a draft", column="title"))
    design_keys = tuple(designer.design_values(designer.Design()))
    for name in DRAFT_FIELDS + design_keys:
        value = data.get(name)
        if value is None:
            continue
        text = "yes" if value is True else "no" if value is False else str(value)
        if len(text) > DRAFT_SHORT_MAX:
            problems.append(
                Problem(f"Write at most {DRAFT_SHORT_MAX:,} characters here", column=name)
            )
            continue
        form[name] = text
    toml = str(data.get("mechanism_toml") or "")
    if len(toml) > DRAFT_TOML_MAX:
        problems.append(
            Problem(
                f"The specification is longer than {DRAFT_TOML_MAX:,} characters",
                column="mechanism_toml",
            )
        )
    elif toml:
        form["mechanism_toml"] = toml
    for name in DRAFT_LISTS:
        form[name] = [str(v)[:100] for v in (data.get(name) or [])][:100]
    return form, problems


def design_form_values(design: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    """The designer's form values for a design sent as its starting point and any changes.

    The starting point's amounts are worked out from the programme's figures in ``data`` when
    they are all given (otherwise the designer's defaults stand in until they are).
    """
    name = str(design.get("starting_point") or "blended")
    figures = figures_from(parse_figures(data)[0])
    if name in designer.STARTING_POINTS and figures is not None:
        values = designer.design_values(
            designer.starting_point(name, _designer_programme(data, figures))
        )
    else:
        values = designer.design_values(designer.Design())
    values.update(
        {k: ("yes" if v else "no") if isinstance(v, bool) else str(v) for k, v in design.items()}
    )
    return values


def draft_problems(draft: ProgrammeDraft) -> list[Problem]:
    """What must still be done before the draft can be saved complete or published (in words)."""
    _, problems = parse_programme(with_custom_outcomes(draft.form))
    return problems


def _own_draft(actor: Actor, draft_id: int) -> ProgrammeDraft:
    draft = ProgrammeDraft.objects.filter(id=draft_id).first()
    if draft is None:
        raise NotFound("No such draft.")
    require(policy.can_manage_programme, actor, draft)
    return draft


@transaction.atomic
def programme_draft_save(
    *,
    actor: Actor,
    data: dict[str, Any],
    draft_id: int | None = None,
    programme_id: int | None = None,
) -> ProgrammeDraft:
    """Save the form as it is, complete or not (a title is enough), to finish later.

    ``draft_id`` resumes a saved draft; ``programme_id`` keeps unfinished changes to a draft
    programme (the programme stays as it was until the changes are complete).
    """
    _require_commissioner(actor)
    if actor.organisation_id is None:
        raise PermissionDenied("Act for a commissioning organisation to design a programme.")
    form, problems = draft_form(data)
    if problems:
        raise FullvalueError.from_problems("The draft cannot be saved yet.", problems)
    if draft_id is not None:
        draft = _own_draft(actor, draft_id)
    elif programme_id is not None:
        programme = _own_programme(actor, programme_id)
        if programme.status != Programme.Status.DRAFT:
            raise Conflict("Only a draft programme can be changed.")
        draft = ProgrammeDraft.objects.filter(programme=programme).first() or ProgrammeDraft(
            commissioner_id=programme.commissioner_id, programme=programme
        )
    else:
        draft = ProgrammeDraft(commissioner_id=actor.organisation_id)
    created = draft.pk is None
    before = None if created else {"title": draft.title}
    draft.title, draft.form = form["title"], form
    draft.save()
    audit_record(
        actor=actor,
        action="programme_draft.save",
        object_type="programme_draft",
        object_id=draft.id,
        object_repr=draft.title,
        before=before,
        after={"title": draft.title, "programme": draft.programme_id},
    )
    return draft


@transaction.atomic
def programme_save(
    *,
    actor: Actor,
    data: dict[str, Any],
    draft_id: int | None = None,
    programme_id: int | None = None,
) -> Programme | ProgrammeDraft:
    """Save as draft: complete, a draft programme; incomplete, an unfinished draft to resume.

    An unfinished draft needs only its title; what it still lacks is listed when it is resumed.
    """
    _, problems = parse_programme(with_custom_outcomes(data))
    if problems:
        return programme_draft_save(
            actor=actor, data=data, draft_id=draft_id, programme_id=programme_id
        )
    return programme_finish(
        actor=actor, data=data, draft_id=draft_id, programme_id=programme_id, publish=False
    )


@transaction.atomic
def programme_finish(
    *,
    actor: Actor,
    data: dict[str, Any] | None = None,
    draft_id: int | None = None,
    programme_id: int | None = None,
    publish: bool = False,
) -> Programme:
    """Make the programme from a complete form (or a saved draft's form), and publish it if asked.

    Everything required must be filled in: otherwise every problem is named, in plain words.
    The unfinished draft, if any, is removed once the programme holds its values.
    """
    _require_commissioner(actor)
    draft = _own_draft(actor, draft_id) if draft_id is not None else None
    if draft is not None:
        programme_id = draft.programme_id
        data = draft.form if data is None else data
    elif programme_id is not None:
        draft = ProgrammeDraft.objects.filter(programme_id=programme_id).first()
    data = with_custom_outcomes(data or {})
    if programme_id is None:
        programme = programme_create(actor=actor, data=data)
    else:
        programme = programme_update(actor=actor, programme_id=programme_id, data=data)
    if draft is not None:
        draft.delete()
    if publish:
        programme = programme_publish(actor=actor, programme_id=programme.id)
    return programme


@transaction.atomic
def programme_draft_delete(*, actor: Actor, draft_id: int) -> None:
    """Discard an unfinished draft (a draft programme it changes stays as it was)."""
    _require_commissioner(actor)
    draft = _own_draft(actor, draft_id)
    audit_record(
        actor=actor,
        action="programme_draft.delete",
        object_type="programme_draft",
        object_id=draft.id,
        object_repr=draft.title,
        before={"title": draft.title},
    )
    draft.delete()


@transaction.atomic
def engagement_notice_create(
    *, actor: Actor, programme_id: int, title: str, body: str, event_date: Any = None
) -> EngagementNotice:
    """Publish a pre-market engagement notice for a programme."""
    _require_commissioner(actor)
    programme = _own_programme(actor, programme_id)
    problems = []
    if isinstance(event_date, str):
        try:
            event_date = dt.date.fromisoformat(event_date)
        except ValueError:
            problems.append(Problem("Enter a date like 2027-03-01", column="event_date"))
            event_date = None
    read = fields.Fields(problems)
    title = read(fields.text, title, "title", max_length=fields.MAX_TITLE) or ""
    body = read(fields.text, body, "body", max_length=fields.MAX_TEXT, multiline=True) or ""
    if not title and not any(p.column == "title" for p in problems):
        problems.append(Problem("Enter a title", column="title"))
    if not body and not any(p.column == "body" for p in problems):
        problems.append(Problem("Say what the engagement is about", column="body"))
    if problems:
        raise FullvalueError.from_problems("The notice needs correcting.", problems)
    notice = EngagementNotice.objects.create(
        programme=programme,
        title=title,
        body=body,
        event_date=event_date,
        published_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="engagement_notice.create",
        object_type="engagement_notice",
        object_id=notice.id,
        object_repr=notice.title,
        after={"programme": programme.id, "title": notice.title},
    )
    return notice
