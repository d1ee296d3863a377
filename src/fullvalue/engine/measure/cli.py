"""``fullvalue reoffending``, ``fullvalue compare`` and ``fullvalue baseline``.

Thin entry points: parse arguments, read and check the files, call one engine function, print
the result as a table (default), JSON or CSV. Errors are :class:`~fullvalue.errors.FullvalueError`
and exit with status 2 without a traceback.
"""

from __future__ import annotations

import argparse
import atexit
import csv
import datetime as dt
import gc
import io
import json
import math
import sys
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from fullvalue.errors import FullvalueError

if TYPE_CHECKING:
    from fullvalue.engine.measure.baseline import BaselineComparison
    from fullvalue.engine.measure.inference import Estimate
    from fullvalue.engine.measure.matched import MatchedComparison
    from fullvalue.engine.measure.reoffending import CohortMeasures, Definition, ReoffendingResult

# Engine modules (NumPy, Polars, SciPy) are imported inside the handlers, so that the
# ``fullvalue`` command starts quickly and each command loads only what it uses.
ALTERNATIVES = ("two-sided", "less", "greater")

DEFINITION_HELP = """\
Proven reoffending (Ministry of Justice definition): an offence committed strictly after the
index date (release from custody or start of a court order) and on or before the index date plus
the follow-up period (default 12 calendar months), whose disposal (conviction or caution) is on
or before the end of the follow-up period plus the waiting period (default 6 months). Breaches of
licence or order never count. Months clamp to the end of a shorter month (31 Aug + 6 months =
28/29 Feb). People whose waiting period ends after the as-of date (default: the latest disposal
date in the offences file) have incomplete follow-up: they are reported separately and left out
of the rates.

Files are CSV (header row; dates YYYY-MM-DD or DD/MM/YYYY) or Parquet (.parquet). People:
person_id, index_date and any covariates. Offences: person_id, offence_date, disposal_date and
optionally breach (true/false). Offences of people not in the people file are counted, not an
error.
"""


class Progress:
    """Stage messages on stderr with elapsed time, shown only when stderr is a terminal."""

    def __init__(self, stages: int) -> None:
        self.stages = stages
        self.done = 0
        self.start = time.monotonic()
        self.enabled = sys.stderr.isatty()

    def __call__(self, message: str) -> None:
        """Report the start of the next stage."""
        self.done += 1
        if not self.enabled:
            return
        width = 20
        filled = round(width * (self.done - 1) / max(self.stages, 1))
        bar = "#" * filled + "." * (width - filled)
        elapsed = time.monotonic() - self.start
        print(f"\r[{bar}] {elapsed:5.1f}s {message:<60}", end="", file=sys.stderr, flush=True)

    def finish(self) -> None:
        """Clear the progress line."""
        if self.enabled:
            print("\r" + " " * 100 + "\r", end="", file=sys.stderr, flush=True)


def single_threaded_blas() -> AbstractContextManager[object]:
    """Run NumPy's BLAS on one thread for the rest of a command.

    The engine's matrices are thin (a million rows, about ten columns): a second BLAS thread gains
    little, and OpenBLAS's idle threads spin, taking a core from Polars and from the main thread
    (about 0.25 s of CPU in the largest benchmark comparison). The model fits limit themselves
    anyway; this covers the scores, sums and balance statistics around them.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def skip_final_collection() -> None:
    """Leave the objects alive at exit to the operating system instead of the garbage collector.

    At interpreter exit CPython collects and tears down every object it can reach, those of NumPy
    and Polars included: 0.09-0.12 s of a large comparison on a busy machine. Freezing them at
    exit (``gc.freeze``, registered once per process) moves them out of the collector's reach,
    which leaves 0.03-0.04 s, and the memory is returned with the process. Safe wherever the
    command runs: in a test session or a worker the process is exiting anyway when it fires.
    """
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def parse_date(text: str) -> dt.date:
    """Read a command-line date (YYYY-MM-DD)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from exc


def _covariates(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("name at least one covariate, separated by commas")
    return names


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def to_json(data: dict[str, Any]) -> str:
    """Serialise a result, writing NaN and infinities as null."""
    return json.dumps(_clean(data), indent=2, ensure_ascii=False)


def _num(value: float | None, pattern: str = "{:.3f}") -> str:
    return "-" if value is None else pattern.format(value)


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).rjust(w) for c, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def _definition(args: argparse.Namespace) -> Definition:
    from fullvalue.engine.measure.reoffending import Definition

    return Definition(follow_up_months=args.follow_up_months, waiting_months=args.waiting_months)


def reoffending_table(result: ReoffendingResult) -> str:
    """Render the measures as a fixed-width table with the exclusions beneath."""
    from fullvalue.engine.measure.reoffending import EXCLUSION_REASONS

    header = (
        "cohort", "people", "reoffenders", "rate", "reoffences",
        "per offender", "per reoffender", "median days", "incomplete",
    )  # fmt: skip

    def row(m: CohortMeasures) -> list[str]:
        return [
            m.cohort,
            str(m.people),
            str(m.reoffenders),
            _num(None if m.binary_rate is None else m.binary_rate * 100, "{:.1f}%"),
            str(m.reoffences),
            _num(m.frequency_per_offender),
            _num(m.frequency_per_reoffender),
            _num(m.median_days_to_first, "{:.1f}"),
            str(m.incomplete_follow_up),
        ]

    lines = [
        f"Proven reoffending, {result.definition.follow_up_months}-month follow-up and "
        f"{result.definition.waiting_months}-month waiting period, data as of "
        f"{result.as_of.isoformat()}; cohorts by {result.by or 'quarter of index date'}.",
        "",
        _grid(header, [*(row(c) for c in result.cohorts), row(result.total)]),
        "",
        f"Offences counted as proven reoffences: {result.counted_offences}. Not counted:",
    ]
    lines += [
        f"  {reason.replace('_', ' ')}: {result.excluded_offences[reason]}"
        for reason in EXCLUSION_REASONS
    ]
    lines.append(
        "People with incomplete follow-up are left out of the rates, not counted as "
        "non-reoffenders."
    )
    return "\n".join(lines)


def reoffending_csv(result: ReoffendingResult) -> str:
    """Render one CSV row per cohort and a total row."""
    from fullvalue.engine.measure.reoffending import CohortMeasures

    buffer = io.StringIO()
    fields = list(CohortMeasures.__dataclass_fields__)
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for measures in (*result.cohorts, result.total):
        writer.writerow({f: getattr(measures, f) for f in fields})
    return buffer.getvalue()


def _estimate_rows(
    rows: Sequence[tuple[str, Estimate, str, float]],
) -> list[list[str]]:
    out = []
    for name, e, pattern, scale in rows:

        def fmt(v: float | None, pattern: str = pattern, scale: float = scale) -> str:
            return _num(None if v is None else v * scale, pattern)

        out.append(
            [
                name,
                fmt(e.treated_value),
                fmt(e.comparison_value),
                fmt(e.difference),
                f"{fmt(e.ci_low)} to {fmt(e.ci_high)}",
                _num(e.p_value, "{:.4f}"),
            ]
        )
    return out


def compare_table(result: MatchedComparison) -> str:
    """Render a matched comparison: counts, estimates, balance and the summary."""
    lines = [
        f"Treated with complete follow-up: {result.treated}; matched: {result.matched_treated}; "
        f"off support: {result.off_support}; comparison people used: {result.comparison} "
        f"(pool {result.pool}).",
        "",
        _grid(
            ("measure", "treated", "comparison", "difference", "95% CI", "p"),
            _estimate_rows(
                [
                    ("reoffending rate (%)", result.binary, "{:.1f}", 100),
                    ("reoffences per person", result.frequency, "{:.3f}", 1),
                    ("days to first reoffence", result.days_to_first, "{:.1f}", 1),
                ]
            ),
        ),
        "",
        _grid(
            ("covariate", "SMD before", "SMD after", "balanced"),
            [
                [
                    b.covariate,
                    f"{b.smd_before:.3f}",
                    f"{b.smd_after:.3f}",
                    "yes" if b.balanced else "NO",
                ]
                for b in result.balance
            ],
        ),
        "",
        result.summary,
    ]
    return "\n".join(lines)


def baseline_table(result: BaselineComparison) -> str:
    """Render actual against expected by cohort and in total, and the summary."""
    rows = []
    for cohort in (*result.cohorts, result.total):
        rows += _estimate_rows(
            [
                (f"{cohort.cohort} rate (%)", cohort.binary, "{:.1f}", 100),
                (f"{cohort.cohort} per person", cohort.frequency, "{:.3f}", 1),
            ]
        )
    lines = [
        f"Baseline cohort: {result.baseline} people; current cohort: {result.current} people "
        f"(frequency dispersion {result.dispersion:.2f}).",
        "",
        _grid(("measure", "actual", "expected", "difference", "95% CI", "p"), rows),
        "",
        result.summary,
    ]
    return "\n".join(lines)


def run_reoffending(args: argparse.Namespace) -> int:
    """Handle ``fullvalue reoffending``."""
    skip_final_collection()
    from fullvalue.engine.measure.io import read_offences, read_people
    from fullvalue.engine.measure.reoffending import measure_reoffending

    progress = Progress(3)
    progress("reading people")
    people = read_people(args.people, extra=[args.by] if args.by else [])
    progress("reading offences")
    offences = read_offences(args.offences)
    progress("measuring")
    with single_threaded_blas():
        result = measure_reoffending(
            people.frame,
            offences.frame,
            by=args.by,
            as_of=args.as_of,
            definition=_definition(args),
        )
    progress.finish()
    if args.format == "json":
        print(to_json(result.as_dict()))
    elif args.format == "csv":
        print(reoffending_csv(result), end="")
    else:
        print(reoffending_table(result))
    return 0


def run_compare(args: argparse.Namespace) -> int:
    """Handle ``fullvalue compare``."""
    skip_final_collection()
    from fullvalue.engine.measure.io import read_offences, read_people
    from fullvalue.engine.measure.matched import compare_matched

    progress = Progress(6)
    progress("reading people")
    people = read_people(args.people, extra=[args.treated, *args.covariates])
    progress("reading offences")
    offences = read_offences(args.offences)
    with single_threaded_blas():
        result = compare_matched(
            people,
            offences.frame,
            treated=args.treated,
            covariates=args.covariates,
            caliper=args.caliper,
            ratio=args.ratio,
            replacement=not args.no_replacement,
            min_treated=args.min_treated,
            as_of=args.as_of,
            seed=args.seed,
            alternative=args.alternative,
            definition=_definition(args),
            progress=progress,
        )
    progress.finish()
    print(to_json(result.as_dict()) if args.format == "json" else compare_table(result))
    if not result.balanced:
        print(
            "warning: balance was not achieved on "
            + ", ".join(b.covariate for b in result.balance if not b.balanced)
            + " (|SMD| > 0.1); treat the results with caution.",
            file=sys.stderr,
        )
    return 0


def run_baseline(args: argparse.Namespace) -> int:
    """Handle ``fullvalue baseline``."""
    skip_final_collection()
    from fullvalue.engine.measure.baseline import compare_baseline
    from fullvalue.engine.measure.io import read_offences, read_people

    progress = Progress(4)
    progress("reading people")
    extra = [args.baseline, *args.covariates, *([args.by] if args.by else [])]
    people = read_people(args.people, extra=extra)
    progress("reading offences")
    offences = read_offences(args.offences)
    with single_threaded_blas():
        result = compare_baseline(
            people,
            offences.frame,
            baseline=args.baseline,
            covariates=args.covariates,
            by=args.by,
            alternative=args.alternative,
            as_of=args.as_of,
            definition=_definition(args),
            progress=progress,
        )
    progress.finish()
    print(to_json(result.as_dict()) if args.format == "json" else baseline_table(result))
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("people", help="people file (CSV or Parquet)")
    parser.add_argument("offences", help="offences file (CSV or Parquet)")
    parser.add_argument(
        "--as-of",
        type=parse_date,
        default=None,
        metavar="DATE",
        help="date the data are complete to (default: the latest disposal date)",
    )
    parser.add_argument(
        "--follow-up-months", type=int, default=12, metavar="N", help="follow-up (default 12)"
    )
    parser.add_argument(
        "--waiting-months", type=int, default=6, metavar="N", help="waiting period (default 6)"
    )


def register(subparsers: Any) -> None:
    """Add the measurement sub-commands to the ``fullvalue`` command line."""
    formatter = argparse.RawDescriptionHelpFormatter
    reoffending = subparsers.add_parser(
        "reoffending",
        help="proven reoffending by cohort (MoJ definition)",
        description="Proven reoffending by cohort and in total.\n\n"
        + DEFINITION_HELP
        + "\nMeasures (people with complete follow-up only): binary rate = reoffenders / people;"
        "\nfrequency per offender = reoffences / people; per reoffender = reoffences /"
        "\nreoffenders; median days from index date to first proven reoffence.",
        formatter_class=formatter,
    )
    _common(reoffending)
    reoffending.add_argument(
        "--by", metavar="COLUMN", help="people column to group by (default: quarter, e.g. 2019Q1)"
    )
    reoffending.add_argument("--format", choices=("table", "json", "csv"), default="table")
    reoffending.set_defaults(handler=run_reoffending)

    compare = subparsers.add_parser(
        "compare",
        help="treated vs a propensity-score matched comparison group (Justice Data Lab method)",
        description="Compare treated people with a matched comparison group from the same "
        "files.\n\nA logistic propensity score is fitted on the covariates; each treated person "
        "is\nmatched to the nearest RATIO untreated people on the logit of the score, within "
        "a\ncaliper of CALIPER standard deviations of the logit. Treated people with no match "
        "are\noff support and left out. Rate, frequency and days to first reoffence (among "
        "those\nwho reoffended) are compared with 95% CIs whose variance counts each "
        "comparison\nperson by the square of their matching weight (Abadie-Imbens conditional "
        "variance,\neach outcome variance from the nearest neighbour on the logit). Balance: "
        "|SMD| > 0.1\nafter matching is flagged. Refuses when fewer than MIN_TREATED are "
        "matched.\n\n" + DEFINITION_HELP,
        formatter_class=formatter,
    )
    _common(compare)
    compare.add_argument("--treated", required=True, metavar="COLUMN", help="true/false column")
    compare.add_argument(
        "--covariates", required=True, type=_covariates, metavar="a,b,c", help="covariates"
    )
    compare.add_argument("--caliper", type=float, default=0.2, help="SDs of the logit (0.2)")
    compare.add_argument("--ratio", type=int, default=1, help="comparisons per treated (1)")
    compare.add_argument(
        "--no-replacement", action="store_true", help="use each comparison person at most once"
    )
    compare.add_argument("--min-treated", type=int, default=60, help="refuse below this (60)")
    compare.add_argument(
        "--seed", type=int, default=None, help="break ties by a seeded shuffle, not row order"
    )
    compare.add_argument("--alternative", choices=ALTERNATIVES, default="two-sided")
    compare.add_argument("--format", choices=("table", "json"), default="table")
    compare.set_defaults(handler=run_compare)

    baseline = subparsers.add_parser(
        "baseline",
        help="actual vs case-mix adjusted expected reoffending (Transforming Rehabilitation)",
        description="Compare the current cohort with a baseline cohort, adjusting for case "
        "mix.\n\nA logistic model (binary) and a quasi-Poisson model (reoffences per person) "
        "are\nfitted on the baseline cohort; expected = the mean prediction for the current "
        "cohort;\ndifference = actual - expected with a 95% CI combining the cohort's own "
        "variation\nand the baseline coefficients' uncertainty (delta method).\n\n"
        + DEFINITION_HELP,
        formatter_class=formatter,
    )
    _common(baseline)
    baseline.add_argument(
        "--baseline", required=True, metavar="COLUMN", help="true for the baseline cohort"
    )
    baseline.add_argument(
        "--covariates", required=True, type=_covariates, metavar="a,b,c", help="risk factors"
    )
    baseline.add_argument("--by", metavar="COLUMN", help="split the current cohort (quarter)")
    baseline.add_argument(
        "--alternative",
        choices=ALTERNATIVES,
        default="two-sided",
        help="'less': is the current cohort below expected? (default two-sided)",
    )
    baseline.add_argument("--format", choices=("table", "json"), default="table")
    baseline.set_defaults(handler=run_baseline)


def build_parser() -> argparse.ArgumentParser:
    """Build a parser with only the measurement commands (for ``python -m`` and tests)."""
    parser = argparse.ArgumentParser(prog="fullvalue")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a measurement command; return the exit status (2 for a FullvalueError)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except FullvalueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
