"""Writes for programmes: design, publish, pre-market engagement; and the live risk preview."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from fullvalue.engine.payments import minimum_detectable_effect, parse_spec, simulate
from fullvalue.errors import Conflict, FullvalueError, NotFound, PermissionDenied, Problem
from fullvalue.rules import Breach, rule
from fullvalue.web.audit.services import audit_record
from fullvalue.web.core.actor import Actor
from fullvalue.web.core.policy import require
from fullvalue.web.core.slugs import unique_slug
from fullvalue.web.organisations.selectors import areas_by_codes
from fullvalue.web.programmes import policy
from fullvalue.web.programmes.models import EngagementNotice, OutcomeDefinition, Programme

_CHART_LOCK = threading.Lock()

#: Above this share of expected income paid on results, small cohorts get a warning.
PBR_SHARE_WARNING = 0.3
#: A minimum detectable effect above this (proportion) means modest real effects go unpaid.
MDE_WARNING = 0.05


@dataclass(frozen=True)
class RiskPreview:
    """What a small provider would face under a mechanism (from the engine's simulation)."""

    runs: int
    probability_of_outcome_payment: float
    probability_of_loss: float
    working_capital_p50: Decimal
    working_capital_p95: Decimal
    pbr_share: float
    minimum_detectable_effect: float | None
    warnings: tuple[str, ...]


@rule
def rule_pbr_share_for_cohort(pbr_share: float, mde: float | None, cohort: int) -> Iterator[Breach]:
    """When a cohort is too small to show a modest real effect, keep payment by results to at most 30% of income (blend it with grant or fee, or pool cohorts).

    30% is :data:`PBR_SHARE_WARNING`; "too small" means a minimum detectable effect above
    :data:`MDE_WARNING` (5 percentage points).
    """  # noqa: E501
    if mde is not None and mde > MDE_WARNING and pbr_share > PBR_SHARE_WARNING:
        yield Breach(
            f"{pbr_share:.0%} of expected income depends on results, but a cohort of {cohort:,} "
            f"a year can only show an effect of {mde * 100:.1f} percentage points or more as "
            "significant: a real but smaller improvement would go unpaid"
        )


def risk_preview(mechanism_toml: str, *, runs: int = 2000, seed: int = 1) -> RiskPreview:
    """Simulate a mechanism for a small provider; warn when PbR is too much for the cohort."""
    spec = parse_spec(mechanism_toml)
    result = simulate(spec, runs=runs, seed=seed)
    income = float(result.income.mean()) or 1.0
    pbr_share = float(result.outcome_income.mean()) / income
    wc = result.percentiles(result.working_capital)
    mde, cohort = None, 0
    if spec.simulation is not None and spec.simulation.cohort_size > 0:
        cohort = spec.simulation.cohort_size
        mde = minimum_detectable_effect(
            float(spec.simulation.baseline_rate), cohort
        ).minimum_detectable_effect
    warnings = tuple(p.reason for p in rule_pbr_share_for_cohort(pbr_share, mde, cohort))
    return RiskPreview(
        runs=runs,
        probability_of_outcome_payment=result.probability_of_outcome_payment,
        probability_of_loss=result.probability_of_loss,
        working_capital_p50=wc["p50"],
        working_capital_p95=wc["p95"],
        pbr_share=pbr_share,
        minimum_detectable_effect=mde,
        warnings=warnings,
    )


def _require_commissioner(actor: Actor) -> None:
    actor.require_can_write()
    require(policy.can_design_programme, actor)


def _parse(data: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for name, label, limit in (
        ("title", "Title", 200),
        ("summary", "Summary", 5000),
        ("cohort", "Cohort", 2000),
    ):
        value = str(data.get(name) or "").strip()
        if not value:
            problems.append(Problem(f"Enter the {label.lower()}", column=name))
        elif len(value) > limit:
            problems.append(Problem(f"{label} must be {limit} characters or fewer", column=name))
        out[name] = value
    for name in ("current_provision", "what_must_change"):
        out[name] = str(data.get(name) or "").strip()[:5000]
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
    setting = data.get("delivery_setting") or "mixed"
    if setting not in ("urban", "rural", "mixed"):
        problems.append(Problem("Choose urban, rural or mixed", column="delivery_setting"))
    out["delivery_setting"] = setting
    codes = [str(c) for c in (data.get("outcomes") or [])]
    found = list(OutcomeDefinition.objects.filter(code__in=codes, is_catalogue=True))
    custom = []
    for i, row in enumerate(data.get("custom_outcomes") or []):
        name = str(row.get("name") or "").strip()
        definition = str(row.get("definition") or "").strip()
        evidence = str(row.get("evidence_rule") or "").strip()
        if not (name or definition or evidence):
            continue
        where = f"custom_outcomes[{i}]"
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
        custom.append({"name": name[:200], "definition": definition, "evidence_rule": evidence})
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
    mechanism = str(data.get("mechanism_toml") or "").strip()
    if not mechanism:
        problems.append(Problem("Describe the payment mechanism", column="mechanism_toml"))
    else:
        try:
            parse_spec(mechanism)
        except FullvalueError as exc:
            for p in exc.problems or [Problem(exc.message)]:
                where = f"{p.location}: " if p.location else ""
                problems.append(Problem(f"{where}{p.reason}", column="mechanism_toml"))
    out["mechanism_toml"] = mechanism
    return out, problems


@transaction.atomic
def programme_create(*, actor: Actor, data: dict[str, Any]) -> Programme:
    """Design a programme: outcomes, cohort and volume, areas, budget, mechanism."""
    _require_commissioner(actor)
    if actor.organisation_id is None:
        raise PermissionDenied("Act for a commissioning organisation to design a programme.")
    values, problems = _parse(data)
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
            **{k: v for k, v in values.items() if k != "mechanism_toml"},
            "outcomes": [o.code for o in outcomes],
            "areas": [a.code for a in areas],
        },
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
    if not title.strip():
        problems.append(Problem("Enter a title", column="title"))
    if not body.strip():
        problems.append(Problem("Say what the engagement is about", column="body"))
    if problems:
        raise FullvalueError.from_problems("The notice needs correcting.", problems)
    notice = EngagementNotice.objects.create(
        programme=programme,
        title=title.strip()[:200],
        body=body.strip(),
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


def risk_chart(mechanism_toml: str, fmt: str = "png", *, runs: int = 2000, seed: int = 1) -> bytes:
    """The engine's chart (income distribution and cash position over time) as PNG or SVG."""
    import tempfile
    from pathlib import Path

    from fullvalue.engine.payments.charts import plot_simulations

    result = simulate(parse_spec(mechanism_toml), runs=runs, seed=seed)
    # matplotlib's pyplot keeps global state: draw one chart at a time in threaded servers.
    with _CHART_LOCK, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"risk.{fmt}"
        plot_simulations([result], path)
        return path.read_bytes()
