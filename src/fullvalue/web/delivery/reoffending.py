"""Proven-reoffending results for a contract: uploaded or measured here, then settled.

Two ways in, both for the contract's commissioner:

- **matched-comparison results** (a Justice Data Lab report, or ``fullvalue compare`` output):
  one row per period, cohort and measure with the cohort's size, its rate, the comparison
  group's rate, and the p-value (and, if known, the 95% interval of the difference);
- **a reoffending extract**: the proven reoffences of the contract's participants (by
  pseudonym), from which the engine measures each cohort's reoffending
  (:func:`~fullvalue.engine.measure.reoffending.person_outcomes`, index date = start date) and
  compares it with a fixed comparison value the commissioner gives
  (:func:`~fullvalue.engine.measure.fixed.against_fixed`).

A file is checked whole: every bad row is named (row, column, reason) and nothing is saved
unless every row is good. Results replace earlier ones for the same period, cohort and measure;
the audit trail keeps the old values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction

from fullvalue.engine.payments import parse_spec
from fullvalue.engine.payments.spec import ALL_COHORTS, ContractSpec, Reoffending
from fullvalue.errors import FullvalueError, Problem
from fullvalue.web.audit.services import audit_record
from fullvalue.web.contracts.selectors import contract_by_id
from fullvalue.web.delivery import policy
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.policy import require

if TYPE_CHECKING:
    from fullvalue.web.contracts.models import Contract
from fullvalue.web.delivery.models import Participant, ReoffendingResult
from fullvalue.web.kernel.tables import header_of, is_blank, read_rows

RESULT_COLUMNS = ("period", "cohort", "measure", "size", "treated", "comparison", "p_value")
OPTIONAL_RESULT_COLUMNS = ("ci_low", "ci_high", "note")
EXTRACT_COLUMNS = ("pseudonym", "offence_date", "disposal_date")
TRUE_WORDS = {"yes", "y", "true", "1"}
FALSE_WORDS = {"no", "n", "false", "0", ""}
#: A file with more problems than this lists the first ones and counts the rest.
MAX_PROBLEMS = 200


def _contract_for_commissioner(actor: Actor, contract_id: int) -> tuple[Contract, ContractSpec]:
    actor.require_can_write()
    contract = contract_by_id(contract_id)
    require(policy.can_record_reoffending, actor, contract)
    if not contract.mechanism_toml.strip():
        raise FullvalueError("The contract has no payment mechanism, so nothing pays on results.")
    return contract, parse_spec(contract.mechanism_toml)


def reoffending_components(spec: ContractSpec) -> dict[str, Reoffending]:
    """The mechanism's reoffending components by the result name results rows carry."""
    return {c.result: c for c in spec.components if isinstance(c, Reoffending)}


def _raise(problems: list[Problem], what: str) -> None:
    if not problems:
        return
    listed = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        listed.append(Problem(f"... and {len(problems) - MAX_PROBLEMS} more problems"))
    raise FullvalueError.from_problems(
        f"The {what} has {len(problems)} problem{'s' if len(problems) != 1 else ''}; "
        "nothing was saved.",
        listed,
    )


def _table(
    filename: str, content: bytes, required: Iterable[str], *, allow_empty: bool = False
) -> list[tuple[int, dict]]:
    rows = read_rows(filename, content)
    header = header_of(rows[0])
    missing = [c for c in required if c not in header]
    if missing:
        raise FullvalueError.from_problems(
            f"{filename} lacks a required column.",
            [Problem(f"the column {c!r} is missing", location="row 1", column=c) for c in missing],
        )
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if is_blank(row):
            continue
        cells = row + [""] * (len(header) - len(row))
        out.append((number, {h: cells[i].strip() for i, h in enumerate(header) if h}))
    if not out and not allow_empty:
        raise FullvalueError(f"{filename} has a header but no rows.")
    return out


def _decimal(
    text: str, row: int, column: str, problems: list[Problem], *, high: Decimal | None = None
) -> Decimal | None:
    try:
        value = Decimal(text)
        if not value.is_finite() or value < 0 or (high is not None and value > high):
            raise InvalidOperation
        return value
    except InvalidOperation:
        limit = f" and {high}" if high is not None else ""
        problems.append(
            Problem(
                f"{text!r} is not a number between 0{limit or ' and above'}",
                location=f"row {row}",
                column=column,
            )
        )
        return None


def _signed(text: str, row: int, column: str, problems: list[Problem]) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
        if not value.is_finite():
            raise InvalidOperation
        return value
    except InvalidOperation:
        problems.append(Problem(f"{text!r} is not a number", location=f"row {row}", column=column))
        return None


def _cohorts(spec: ContractSpec) -> set[str]:
    return {c.name for c in spec.cohorts} | {ALL_COHORTS, ""}


def _save(
    actor: Actor, contract: Contract, rows: list[dict[str, Any]], action: str
) -> list[ReoffendingResult]:
    saved = []
    assert actor.user_id is not None
    for row in rows:
        key = {"period": row["period"], "cohort": row["cohort"], "measure": row["measure"]}
        old = ReoffendingResult.objects.filter(contract=contract, **key).first()
        before = (
            {
                f: getattr(old, f)
                for f in ("size", "treated", "comparison", "p_value", "source", "note")
            }
            if old
            else None
        )
        values = {k: v for k, v in row.items() if k not in key}
        result, _ = ReoffendingResult.objects.update_or_create(
            contract=contract, **key, defaults={**values, "uploaded_by_id": actor.user_id}
        )
        result.refresh_from_db()  # the stored precision, so before and after compare like for like
        audit_record(
            actor=actor,
            action=action,
            object_type="reoffending_result",
            object_id=result.id,
            object_repr=f"{contract.title} {result}",
            before=before,
            after={
                f: values.get(f) for f in ("size", "treated", "comparison", "p_value", "source")
            },
            organisation_id=contract.commissioner_id,
        )
        saved.append(result)
    return saved


@transaction.atomic
def results_upload(
    *, actor: Actor, contract_id: int, filename: str, content: bytes
) -> list[ReoffendingResult]:
    """Record matched-comparison results from a CSV or XLSX file (all rows or none)."""
    contract, spec = _contract_for_commissioner(actor, contract_id)
    components = reoffending_components(spec)
    if not components:
        raise FullvalueError("The contract's mechanism pays nothing on reoffending results.")
    periods, cohorts = {p.name for p in spec.periods}, _cohorts(spec)
    problems: list[Problem] = []
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, cells in _table(filename, content, RESULT_COLUMNS):
        where = f"row {number}"
        period, cohort, measure = cells["period"], cells["cohort"], cells["measure"]
        if period not in periods:
            problems.append(
                Problem(
                    f"{period!r} is not one of the contract's periods "
                    f"({', '.join(sorted(periods))})",
                    location=where,
                    column="period",
                )
            )
        if cohort not in cohorts:
            problems.append(
                Problem(
                    f"{cohort!r} is not one of the contract's cohorts",
                    location=where,
                    column="cohort",
                )
            )
        component = components.get(measure)
        if component is None:
            problems.append(
                Problem(
                    f"{measure!r} is not a reoffending result the contract pays on "
                    f"({', '.join(sorted(components))})",
                    location=where,
                    column="measure",
                )
            )
        size = None
        try:
            size = int(cells["size"])
            if size < 1:
                raise ValueError
        except ValueError:
            problems.append(
                Problem(
                    f"{cells['size']!r} is not a whole number of people (1 or more)",
                    location=where,
                    column="size",
                )
            )
        high = Decimal(1) if component is None or component.measure == "binary" else None
        treated = _decimal(cells["treated"], number, "treated", problems, high=high)
        comparison = _decimal(cells["comparison"], number, "comparison", problems, high=high)
        p = (
            _decimal(cells["p_value"], number, "p_value", problems, high=Decimal(1))
            if cells["p_value"]
            else None
        )
        low = _signed(cells.get("ci_low", ""), number, "ci_low", problems)
        top = _signed(cells.get("ci_high", ""), number, "ci_high", problems)
        if low is not None and top is not None and low > top:
            problems.append(
                Problem(
                    "the interval's low end is above its high end", location=where, column="ci_low"
                )
            )
        if comparison == 0:
            problems.append(
                Problem(
                    "the comparison value is 0, so no reduction can be measured",
                    location=where,
                    column="comparison",
                )
            )
        key = (period, cohort, measure)
        if key in seen:
            problems.append(
                Problem(
                    f"repeats the result in row {seen[key]} for this period, cohort and measure",
                    location=where,
                    column="measure",
                )
            )
        seen.setdefault(key, number)
        rows.append(
            {
                "period": period,
                "cohort": cohort,
                "measure": measure,
                "size": size,
                "treated": treated,
                "comparison": comparison,
                "p_value": p,
                "ci_low": low,
                "ci_high": top,
                "source": ReoffendingResult.Source.MATCHED,
                "note": cells.get("note", "")[:300] or f"uploaded from {filename}"[:300],
            }
        )
    _raise(problems, f"file {filename}")
    return _save(actor, contract, rows, "reoffending.upload")


def _date(text: str, row: int, column: str, problems: list[Problem]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(
            Problem(f"{text!r} is not a date like 2026-03-31", location=f"row {row}", column=column)
        )
        return None


@transaction.atomic
def extract_measure(
    *,
    actor: Actor,
    contract_id: int,
    filename: str,
    content: bytes,
    period: str,
    measure: str,
    comparison: str,
    as_of: dt.date | None = None,
) -> list[ReoffendingResult]:
    """Measure the cohorts' proven reoffending from an extract and compare with a fixed value.

    The extract lists proven offences (``pseudonym``, ``offence_date``, ``disposal_date``,
    optional ``breach``) for the contract's participants; people with no row did not reoffend.
    Each participant who started is in the cohort named on their record, from their start date.
    """
    import numpy as np
    import polars as pl

    from fullvalue.engine.measure.fixed import against_fixed
    from fullvalue.engine.measure.reoffending import person_outcomes

    contract, spec = _contract_for_commissioner(actor, contract_id)
    components = reoffending_components(spec)
    problems: list[Problem] = []
    if period not in {p.name for p in spec.periods}:
        problems.append(Problem("Choose one of the contract's periods", column="period"))
    component = components.get(measure)
    if component is None:
        problems.append(
            Problem("Choose a reoffending result the contract pays on", column="measure")
        )
    high = Decimal(1) if component is None or component.measure == "binary" else None
    value = _decimal(comparison.strip(), 0, "comparison", problems, high=high)
    if value == 0:
        problems.append(Problem("The comparison value must be above 0", column="comparison"))
    if problems:
        raise FullvalueError.from_problems("The extract cannot be measured.", problems)
    assert component is not None and value is not None
    known = dict(
        Participant.objects.filter(contract=contract, started_on__isnull=False).values_list(
            "pseudonym", "started_on"
        )
    )
    cohort_of = dict(
        Participant.objects.filter(contract=contract, started_on__isnull=False).values_list(
            "pseudonym", "cohort"
        )
    )
    ids, offence_days, disposal_days, breaches = [], [], [], []
    for number, cells in _table(filename, content, EXTRACT_COLUMNS, allow_empty=True):
        before = len(problems)
        pseudonym = cells["pseudonym"]
        if pseudonym not in known:
            problems.append(
                Problem(
                    "not a participant of this contract who has started",
                    location=f"row {number}",
                    column="pseudonym",
                )
            )
        offence = _date(cells["offence_date"], number, "offence_date", problems)
        disposal = _date(cells["disposal_date"], number, "disposal_date", problems)
        if offence and disposal and disposal < offence:
            problems.append(
                Problem(
                    "the disposal date is before the offence date",
                    location=f"row {number}",
                    column="disposal_date",
                )
            )
        breach_text = cells.get("breach", "").lower()
        if breach_text not in TRUE_WORDS | FALSE_WORDS:
            problems.append(
                Problem(
                    f"{cells.get('breach')!r} is not yes or no",
                    location=f"row {number}",
                    column="breach",
                )
            )
        if len(problems) == before:
            ids.append(pseudonym)
            offence_days.append(offence)
            disposal_days.append(disposal)
            breaches.append(breach_text in TRUE_WORDS)
    _raise(problems, f"file {filename}")
    people = pl.DataFrame(
        {
            "person_id": list(known),
            "index_date": list(known.values()),
            "cohort": [cohort_of[p] or "" for p in known],
        },
        schema={"person_id": pl.String, "index_date": pl.Date, "cohort": pl.String},
    )
    offences = pl.DataFrame(
        {
            "person_id": ids,
            "offence_date": offence_days,
            "disposal_date": disposal_days,
            "breach": breaches,
        },
        schema={
            "person_id": pl.String,
            "offence_date": pl.Date,
            "disposal_date": pl.Date,
            "breach": pl.Boolean,
        },
    )
    as_of = as_of or dt.date.today()
    outcomes, _, _ = person_outcomes(people, offences, as_of=as_of)
    complete = outcomes.filter(pl.col("complete"))
    spec_cohorts = {c.name for c in spec.cohorts}
    groups: dict[str, Any] = {}
    if spec_cohorts:
        for (label,), frame in complete.group_by("cohort"):
            if label in spec_cohorts:
                groups[str(label)] = frame
        if component.overall_hurdle is not None:
            groups[ALL_COHORTS] = complete
    else:
        groups[""] = complete
    if not groups or all(frame.height == 0 for frame in groups.values()):
        raise FullvalueError(
            f"No participant has completed the follow-up and waiting period by {as_of:%d %B %Y}"
            f"{' in a cohort the contract names' if spec_cohorts else ''}, so nothing can be "
            "measured yet."
        )
    rows = []
    for label, frame in sorted(groups.items()):
        if frame.height == 0:
            continue
        counts = frame.get_column("reoffences").to_numpy().astype(np.float64)
        values = (counts > 0).astype(np.float64) if component.measure == "binary" else counts
        estimate = against_fixed(values, float(value), component.measure)  # type: ignore[arg-type]
        rows.append(
            {
                "period": period,
                "cohort": label,
                "measure": measure,
                "size": frame.height,
                "treated": _dec(estimate.treated_value, 6),
                "comparison": value,
                "p_value": _dec(estimate.p_value, 8),
                "ci_low": _dec(estimate.ci_low, 6),
                "ci_high": _dec(estimate.ci_high, 6),
                "source": ReoffendingResult.Source.EXTRACT,
                "note": (
                    f"{filename}: {frame.height} people with complete follow-up by {as_of}; "
                    f"{len(ids)} offences listed"
                    + ("; too few people for a test" if estimate.p_value is None else "")
                )[:300],
            }
        )
    return _save(actor, contract, rows, "reoffending.measure")


def _dec(value: float | None, places: int) -> Decimal | None:
    if value is None:
        return None
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places))


def settlement_rows(contract: Contract, periods: set[str]) -> list[dict[str, Any]]:
    """Results rows for the engine's settlement (period, cohort, measure, count, rates, p)."""
    return [
        {
            "period": r.period,
            "cohort": r.cohort,
            "measure": r.measure,
            "group": "",
            "count": r.size,
            "treated": str(r.treated),
            "comparison": str(r.comparison),
            "p_value": "" if r.p_value is None else str(r.p_value),
        }
        for r in ReoffendingResult.objects.filter(contract=contract, period__in=periods)
    ]
