"""Reads of report once: frameworks, a provider's records in the shared vocabulary, its returns.

A provider's records are its outcome events (through its code mappings) and the records kept
here; every return is produced from them by the engine (``fullvalue.engine.returns``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db.models import Q, QuerySet

from fullvalue.domain.roles import Role
from fullvalue.engine.returns.compute import compute_returns
from fullvalue.engine.returns.framework import Framework as Spec
from fullvalue.engine.returns.framework import parse_framework, periods_within
from fullvalue.engine.returns.io import MISSING_GROUP
from fullvalue.engine.returns.vocabulary import load_vocabulary
from fullvalue.errors import NotFound
from fullvalue.web.delivery.selectors import (
    outcome_events_of_provider,
    participants_of_provider,
    pseudonyms_of,
)
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.reporting.models import (
    Adoption,
    CodeMapping,
    ExportLayout,
    Framework,
    OutcomeRecord,
    Submission,
)

#: How many past reporting periods a provider's returns page lists for each framework.
PERIODS_SHOWN = 4

MEASURE_WORDS = {
    "participants": "people",
    "records": "times recorded",
    "sum": "total",
    "share": "share of people on the caseload",
    "mean_change": "average change on the scale",
}
BREAKDOWN_WORDS = {"sex": "Sex", "ethnicity": "Ethnicity", "age_band": "Age band", "area": "Area"}
GROUP_WORDS = {MISSING_GROUP: "Not recorded"}
PERIOD_WORDS = {
    "month": "Monthly",
    "quarter": "Quarterly",
    "half-year": "Half-yearly",
    "year": "Yearly",
}


def spec_of(framework: Framework) -> Spec:
    """The engine's reading of a stored framework (checked when it was saved)."""
    return parse_framework(framework.spec_toml, source=framework.slug)


def framework_by_slug(slug: str) -> Framework:
    framework = Framework.objects.select_related("owner").filter(slug=slug).first()
    if framework is None:
        raise NotFound("No such framework.")
    return framework


def frameworks_adopted(organisation_id: int) -> list[Framework]:
    """The frameworks a provider reports to, by funder."""
    return list(
        Framework.objects.filter(adoptions__provider_id=organisation_id)
        .select_related("owner")
        .order_by("funder_name", "title")
    )


def frameworks_offered(organisation_id: int) -> list[Framework]:
    """Published frameworks the provider does not report to yet (and did not publish)."""
    return list(
        Framework.objects.filter(is_published=True)
        .exclude(adoptions__provider_id=organisation_id)
        .exclude(owner_id=organisation_id)
        .order_by("funder_name", "title")
    )


def frameworks_owned(organisation_id: int) -> list[Framework]:
    """The frameworks a commissioner or funder publishes, with how many providers adopt each."""
    return list(Framework.objects.filter(owner_id=organisation_id).order_by("title"))


def mappings_of(organisation_id: int) -> dict[str, str]:
    """A provider's own outcome names and the vocabulary code each is mapped to."""
    return dict(
        CodeMapping.objects.filter(provider_id=organisation_id).values_list(
            "own_code", "vocabulary_code"
        )
    )


def own_codes(organisation_id: int) -> list[str]:
    """The outcome names the provider's events use (what it maps once)."""
    return sorted({name for _, name, _ in outcome_events_of_provider(organisation_id)})


def unmapped_codes(organisation_id: int) -> list[str]:
    """The provider's own outcome names not yet mapped (they count for no funder)."""
    mapped = mappings_of(organisation_id)
    return [c for c in own_codes(organisation_id) if c not in mapped]


def vocabulary_choices() -> list[tuple[str, str, str]]:
    """(code, label, pathway) of every vocabulary code, in the vocabulary's order."""
    vocabulary = load_vocabulary()
    pathways = {p.id: p.label for p in vocabulary.pathways}
    return [(c.code, c.label, pathways[c.pathway]) for c in vocabulary.codes.values()]


@dataclass(frozen=True)
class ProviderData:
    participants: pl.DataFrame
    records: pl.DataFrame


def provider_data(organisation_id: int) -> ProviderData:
    """The provider's participants and records, shaped as the engine reads them from files."""
    people = participants_of_provider(organisation_id)
    participants = pl.DataFrame(
        {
            "participant": [p["participant"] for p in people],
            "start_date": [p["start_date"] for p in people],
            "end_date": [p["end_date"] for p in people],
            "sex": [p["sex"] or MISSING_GROUP for p in people],
            "ethnicity": [p["ethnicity"] or MISSING_GROUP for p in people],
            "age_band": [p["age_band"] or MISSING_GROUP for p in people],
            "area": [MISSING_GROUP] * len(people),
        },
        schema={
            "participant": pl.String,
            "start_date": pl.Date,
            "end_date": pl.Date,
            "sex": pl.String,
            "ethnicity": pl.String,
            "age_band": pl.String,
            "area": pl.String,
        },
    )
    mapping = mappings_of(organisation_id)
    rows: list[tuple[str, dt.date, str, float | None]] = [
        (str(pid), day, mapping[name], None)
        for pid, name, day in outcome_events_of_provider(organisation_id)
        if name in mapping
    ]
    rows += [
        (str(pid), day, code, float(value) if value is not None else None)
        for pid, day, code, value in OutcomeRecord.objects.filter(provider_id=organisation_id)
        .order_by("recorded_on", "id")
        .values_list("participant_id", "recorded_on", "code", "value")
    ]
    records = pl.DataFrame(
        rows,
        schema={"participant": pl.String, "date": pl.Date, "code": pl.String, "value": pl.Float64},
        orient="row",
    ).with_row_index("row")
    return ProviderData(participants, records)


def periods_due(
    spec: Spec, today: dt.date, count: int = PERIODS_SHOWN
) -> list[tuple[dt.date, dt.date]]:
    """The last ``count`` reporting periods that have ended by ``today``, newest first."""
    ended = list(periods_within(spec, today - dt.timedelta(days=366 * 3), today))
    return [(first, last) for _, first, last in ended[-count:]][::-1]


def figures_for(
    spec: Spec, data: ProviderData, start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    """The return's figures for one period: id, label, measure in words, value, records behind."""
    [produced] = [
        r
        for r in compute_returns([spec], data.participants, data.records, start, end)
        if r.period_start == start
    ]
    in_period = data.records.filter(pl.col("date").is_between(start, end))
    out = []
    for figure in produced.figures:
        indicator = figure.indicator
        behind = in_period.filter(pl.col("code").is_in(list(indicator.codes))).height
        out.append(
            {
                "id": indicator.id,
                "label": indicator.label,
                "measure": MEASURE_WORDS[indicator.measure],
                "value": figure.value,
                "records": behind,
                "breakdowns": [
                    {
                        "dimension": BREAKDOWN_WORDS.get(dimension, dimension),
                        "cells": [
                            {
                                "group": GROUP_WORDS.get(c.group, c.group.replace("_", " ")),
                                "value": c.value,
                                "suppressed": c.suppressed,
                            }
                            for c in cells
                        ],
                    }
                    for dimension, cells in figure.breakdowns.items()
                ],
            }
        )
    return out


def records_behind(
    organisation_id: int, spec: Spec, indicator_id: str, start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    """The records one figure counts, in date order: who (by pseudonym), when, what, value."""
    indicator = next((i for i in spec.indicators if i.id == indicator_id), None)
    if indicator is None:
        raise NotFound("No such indicator in this framework.")
    data = provider_data(organisation_id)
    rows = data.records.filter(
        pl.col("date").is_between(start, end) & pl.col("code").is_in(list(indicator.codes))
    ).sort(["date", "row"])
    ids = [int(p) for p in rows.get_column("participant").to_list()]
    names = pseudonyms_of(ids)
    labels = {c.code: c.label for c in load_vocabulary().codes.values()}
    return [
        {
            "pseudonym": names.get(int(r["participant"]), ""),
            "date": r["date"],
            "code": labels.get(r["code"], r["code"]),
            "value": r["value"],
        }
        for r in rows.iter_rows(named=True)
    ]


def submission_for(organisation_id: int, framework: Framework, start: dt.date) -> Submission | None:
    return (
        Submission.objects.select_related("submitted_by")
        .filter(provider_id=organisation_id, framework=framework, period_start=start)
        .first()
    )


def returns_overview(organisation_id: int, today: dt.date) -> list[dict[str, Any]]:
    """For each framework the provider reports to: its periods, submitted or due."""
    frameworks = frameworks_adopted(organisation_id)
    if not frameworks:
        return []
    flagged = proportions(frameworks)
    submitted = {
        (s.framework_id, s.period_start): s
        for s in Submission.objects.filter(provider_id=organisation_id)
    }
    out = []
    for framework in frameworks:
        spec = spec_of(framework)
        out.append(
            {
                "framework": framework,
                "proportion": flagged[framework.id],
                "how_often": PERIOD_WORDS[spec.period],
                "indicators": len(spec.indicators),
                "periods": [
                    {
                        "start": first,
                        "end": last,
                        "submission": submitted.get((framework.id, first)),
                    }
                    for first, last in periods_due(spec, today)
                ],
            }
        )
    return out


@dataclass(frozen=True)
class Burden:
    funders: int
    figures_asked: int
    things_recorded: int
    by_funder: tuple[tuple[str, int], ...] = ()


def burden(organisation_id: int) -> Burden:
    """What the provider's funders ask of it against what it actually records.

    Figures asked: each indicator of each framework it reports to, in total and by each of the
    framework's breakdowns, per period. Things recorded: the distinct vocabulary codes in its
    records.
    """
    frameworks = frameworks_adopted(organisation_id)
    specs = [spec_of(f) for f in frameworks]
    asked = sum(figures_asked(s) for s in specs)
    recorded = provider_data(organisation_id).records.get_column("code").n_unique()
    per_funder: dict[str, int] = {}
    for framework, spec in zip(frameworks, specs, strict=True):
        per_funder[framework.funder_name] = per_funder.get(framework.funder_name, 0) + (
            figures_asked(spec)
        )
    return Burden(
        len(per_funder), asked, recorded, tuple(sorted(per_funder.items(), key=lambda x: -x[1]))
    )


def received(actor: Actor) -> list[Submission]:
    """Returns sent to the frameworks the commissioner's organisation publishes, newest first."""
    return list(
        Submission.objects.filter(framework__owner_id=actor.organisation_id)
        .select_related("framework", "provider", "submitted_by")
        .order_by("-submitted_at")
    )


def submissions_listed(actor: Actor) -> QuerySet[Submission]:
    """Returns the actor may read: sent by its provider, received by its organisation, or all."""
    qs = Submission.objects.select_related("framework", "provider", "submitted_by")
    if actor.role in (Role.AUDITOR, Role.SYSTEM_ADMIN):
        return qs.order_by("-submitted_at", "-id")
    if actor.organisation_id is None:
        return qs.none()
    mine = Q(provider_id=actor.organisation_id) | Q(framework__owner_id=actor.organisation_id)
    return qs.filter(mine).order_by("-submitted_at", "-id")


#: The columns a return's layout may use besides its indicators, with their usual headings.
FIXED_SOURCES = {
    "organisation": "Organisation",
    "period_start": "Period start",
    "period_end": "Period end",
}


def layout_of(organisation_id: int, framework: Framework) -> list[dict[str, str]]:
    """The provider's saved column layout for a funder's return, else the standard one."""
    saved = ExportLayout.objects.filter(provider_id=organisation_id, framework=framework).first()
    if saved is not None:
        return list(saved.columns)
    spec = spec_of(framework)
    return [{"source": k, "heading": v} for k, v in FIXED_SOURCES.items()] + [
        {"source": f"indicator:{i.id}", "heading": i.label} for i in spec.indicators
    ]


def laid_out(
    layout: list[dict[str, str]],
    organisation: str,
    start: dt.date,
    end: dt.date,
    figures: list[dict[str, Any]],
) -> tuple[list[str], list[Any]]:
    """The return as one row under the funder's own headings, in the funder's order."""
    values: dict[str, Any] = {
        "organisation": organisation,
        "period_start": start,
        "period_end": end,
        **{f"indicator:{f['id']}": f["value"] for f in figures},
    }
    return [c["heading"] for c in layout], [values.get(c["source"]) for c in layout]


def figures_asked(spec: Spec) -> int:
    """Figures a framework asks for each period: each indicator, in total and by each breakdown."""
    return len(spec.indicators) * (1 + len(spec.breakdowns))


@dataclass(frozen=True)
class Proportion:
    """A prime's framework for its sub-contractors against what its own funders ask of it."""

    asked_of_partners: int
    asked_of_prime: int
    funders: tuple[str, ...]

    @property
    def excessive(self) -> bool:
        return self.asked_of_partners > self.asked_of_prime


def proportions(frameworks: list[Framework]) -> dict[int, Proportion | None]:
    """Each framework against the most any of its owner's own funders asks of that owner.

    An owner that itself reports to frameworks is a prime (Merlin: monitoring proportionate to
    what the prime is asked); a commissioner's framework gives ``None``. One query for them all.
    """
    owners = {f.owner_id for f in frameworks if f.owner_id is not None}
    reported: dict[int, list[Framework]] = {}
    for adoption in Adoption.objects.filter(provider_id__in=owners).select_related("framework"):
        reported.setdefault(adoption.provider_id, []).append(adoption.framework)
    out: dict[int, Proportion | None] = {}
    for framework in frameworks:
        own = [f for f in reported.get(framework.owner_id or 0, []) if f.id != framework.id]
        out[framework.id] = (
            Proportion(
                asked_of_partners=figures_asked(spec_of(framework)),
                asked_of_prime=max(figures_asked(spec_of(f)) for f in own),
                funders=tuple(sorted({f.funder_name for f in own})),
            )
            if own
            else None
        )
    return out


def proportion(framework: Framework) -> Proportion | None:
    """One framework's :func:`proportions`."""
    return proportions([framework])[framework.id]
