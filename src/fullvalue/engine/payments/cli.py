"""``fullvalue settle | simulate | power | sroi``: the payment engine from the command line.

Each handler parses its arguments, calls one engine function and prints the result as a table
(for people), JSON or CSV (for programs). Bad input raises
:class:`~fullvalue.errors.FullvalueError`, which the dispatcher prints with every problem and
turns into exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from fullvalue.engine.payments.money import format_gbp
from fullvalue.errors import FullvalueError, Problem

if TYPE_CHECKING:
    import polars as pl

    from fullvalue.engine.payments.settlement import Settlement

# Each handler imports the engine modules it uses, so that ``fullvalue settle`` does not load
# SciPy (for ``power``) or the simulation, and starts as quickly as the data allow.


def register(subparsers: Any) -> None:
    """Add the payment commands to the ``fullvalue`` command line."""
    parser = subparsers.add_parser(
        "settle",
        help="work out what is payable under a contract, line by line",
        description=(
            "Settle a contract against measured results: every line with the reason a person can "
            "read, in GBP rounded half-up to the penny, net of payments already made."
        ),
    )
    parser.add_argument("contract", help="contract specification (TOML)")
    parser.add_argument(
        "results", help="measured results (CSV: period,cohort,measure,group,count,...)"
    )
    parser.add_argument(
        "--paid", help="payments already made (CSV: period,cohort,component,amount)"
    )
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parser.set_defaults(handler=settle_command)

    parser = subparsers.add_parser(
        "simulate",
        help="simulate a provider's income, net position and cash need under a contract",
        description=(
            "Monte Carlo simulation of a contract using the assumptions in its [simulation] table: "
            "income and net position (P5, P50, P95), the probability of any outcome payment and of "
            "a loss, and the peak working-capital need and when it falls."
        ),
    )
    parser.add_argument("contract", help="contract specification (TOML) with a [simulation] table")
    parser.add_argument("--runs", type=int, default=10_000, help="number of simulated runs")
    parser.add_argument("--seed", type=int, default=20120601, help="random seed (reproducible)")
    parser.add_argument(
        "--compare", nargs="+", default=[], metavar="OTHER_CONTRACT", help="mechanisms to compare"
    )
    parser.add_argument("--plot", metavar="FILE", help="write charts to FILE (.png or .svg)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(handler=simulate_command)

    parser = subparsers.add_parser(
        "power",
        help="minimum detectable effect of a cohort, and the probability of payment",
        description=(
            "Minimum detectable reduction in a binary reoffending rate: "
            "MDE = (z(1-alpha) + z(power)) × sqrt(p(1-p)/n)."
        ),
    )
    parser.add_argument("--baseline-rate", type=float, required=True, help="proportion 0-1")
    parser.add_argument("--cohort-size", type=int, required=True, help="people in the cohort")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level")
    parser.add_argument("--power", type=float, default=0.8, help="wanted power")
    parser.add_argument("--two-sided", action="store_true", help="two-sided test")
    parser.add_argument(
        "--comparison-size",
        type=int,
        help="matched comparison group size (default: known baseline)",
    )
    parser.add_argument(
        "--true-effect",
        type=float,
        help="also show the probability of payment for this true reduction (proportion points)",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(handler=power_command)

    parser = subparsers.add_parser(
        "sroi",
        help="social return on investment of a model",
        description="Present value, net present value, SROI ratio and a sensitivity table.",
    )
    parser.add_argument("model", help="SROI model (TOML)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(handler=sroi_command)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(headers), rule, *(fmt(r) for r in rows)])


def _lines_frame(settlement: Settlement) -> pl.DataFrame:
    import polars as pl

    from fullvalue.engine.payments.lines import OUTPUT_COLUMNS, SettlementLines

    lines = settlement.lines
    if isinstance(lines, SettlementLines):
        return lines.frame()
    rows = [line.as_dict() for line in lines]
    return pl.DataFrame(rows, schema=dict.fromkeys(OUTPUT_COLUMNS, pl.String))


def settlement_csv(settlement: Settlement, out: BinaryIO | None = None) -> bytes:
    """Write the lines as CSV (UTF-8) to ``out``, or return it; a column at a time.

    The same text as the ``csv`` module writes from each line's :meth:`~.SettlementLine.as_dict`
    (a missing cohort and an empty detail are empty fields, not ``""``).
    """
    import polars as pl

    frame = _lines_frame(settlement).with_columns(pl.col("detail").replace("", None))
    if out is None:
        return frame.write_csv().encode()
    frame.write_csv(out)
    return b""


#: Settlements with more lines than this are written as JSON a column at a time (one compact
#: object per line, on one line); smaller ones are indented as ``json.dumps`` indents them.
JSON_BY_COLUMNS = 10_000


def settlement_json(settlement: Settlement, out: BinaryIO | None = None) -> str:
    """Write ``settlement.as_dict()`` as JSON (UTF-8) to ``out``, or return it as text.

    Up to :data:`JSON_BY_COLUMNS` lines, ``json.dumps(..., indent=2, ensure_ascii=False)``;
    above, the same data with the lines written by Polars from the table, not made one by one.
    """
    if len(settlement.lines) <= JSON_BY_COLUMNS:
        text = json.dumps(settlement.as_dict(), indent=2, ensure_ascii=False)
        if out is not None:
            out.write(text.encode())
        return text
    data = settlement.as_dict(with_lines=False)
    marker = "\u0000lines\u0000"
    outline = {"contract": data.pop("contract"), "lines": marker, **data}
    before, after = json.dumps(outline, indent=2, ensure_ascii=False).split(json.dumps(marker))
    frame = _lines_frame(settlement)
    if out is None:
        return before + frame.write_json() + after
    out.write(before.encode())
    frame.write_json(cast(Any, out))  # a binary stream, as write_json accepts
    out.write(after.encode())
    return ""


def render_settlement(settlement: Settlement, output_format: str) -> str:
    """Render a settlement as ``table``, ``json`` or ``csv`` text."""
    if output_format == "json":
        return settlement_json(settlement)
    if output_format == "csv":
        return settlement_csv(settlement).decode().rstrip("\n")
    rows = [
        [line.period, line.cohort or "", line.component, format_gbp(line.amount), line.reason]
        for line in settlement.lines
    ]
    text = [
        f"Settlement: {settlement.contract}",
        "",
        _table(["period", "cohort", "component", "payable", "reason"], rows, right=(3,)),
        "",
        f"total due      {format_gbp(settlement.total_due):>16}",
        f"already paid   {format_gbp(settlement.total_paid):>16}",
        f"total payable  {format_gbp(settlement.total_payable):>16}",
    ]
    if settlement.allocation is not None:
        allocation = settlement.allocation
        text += ["", f"Supply chain (prime: {allocation.prime})", ""]
        rows = [["management fee to the prime", format_gbp(allocation.management_fee)]]
        rows += [[name, format_gbp(part)] for name, part in allocation.parts.items()]
        text.append(_table(["member", "share of the payable total"], rows, right=(1,)))
    return "\n".join(text)


def settle_command(args: argparse.Namespace) -> int:
    """Run ``fullvalue settle``."""
    from fullvalue.engine.payments.settlement import settle
    from fullvalue.engine.payments.spec import load_spec

    spec = load_spec(args.contract)
    settlement = settle(spec, args.results, paid=args.paid)
    if args.format in ("csv", "json"):
        # Written straight from the table: a million lines are 100 MB of text.
        sys.stdout.flush()
        write = settlement_csv if args.format == "csv" else settlement_json
        write(settlement, sys.stdout.buffer)
        sys.stdout.buffer.write(b"\n" if args.format == "json" else b"")
        sys.stdout.buffer.flush()
        return 0
    print(render_settlement(settlement, args.format))
    return 0


def power_command(args: argparse.Namespace) -> int:
    """Run ``fullvalue power``."""
    from fullvalue.engine.payments.power import minimum_detectable_effect, probability_of_payment

    result = minimum_detectable_effect(
        args.baseline_rate,
        args.cohort_size,
        alpha=args.alpha,
        power=args.power,
        two_sided=args.two_sided,
        comparison_size=args.comparison_size,
    )
    data: dict[str, Any] = result.as_dict()
    if args.true_effect is not None:
        data["true_effect"] = args.true_effect
        data["probability_of_payment"] = probability_of_payment(
            args.baseline_rate,
            args.cohort_size,
            args.true_effect,
            alpha=args.alpha,
            two_sided=args.two_sided,
            comparison_size=args.comparison_size,
        )
    if args.format == "json":
        print(json.dumps(data, indent=2))
        return 0
    sided = "two-sided" if args.two_sided else "one-sided"
    lines = [
        f"cohort of {args.cohort_size:,} at a baseline rate of {args.baseline_rate:.1%}",
        f"standard error              {result.standard_error:.4f}",
        f"minimum detectable effect   {result.minimum_detectable_effect * 100:.1f} "
        "percentage points "
        f"({result.relative_effect:.1%} of the baseline) for {args.power:.0%} power, "
        f"{sided} test at {args.alpha:g}",
        "formula: MDE = (z(1-alpha) + z(power)) × sqrt(p(1-p)(1/n + 1/m)), "
        "1/m = 0 for a known baseline",
    ]
    if args.true_effect is not None:
        lines.append(
            f"probability of payment for a true reduction of {args.true_effect * 100:.1f} points: "
            f"{data['probability_of_payment']:.1%}"
        )
    print("\n".join(lines))
    return 0


def simulate_command(args: argparse.Namespace) -> int:
    """Run ``fullvalue simulate``."""
    from fullvalue.engine.payments.simulation import render_simulations, simulate
    from fullvalue.engine.payments.spec import load_spec

    if args.runs < 1:
        raise FullvalueError.from_problems(
            "The simulation cannot run.", [Problem("There must be at least one run.", "--runs")]
        )
    specs = [load_spec(path) for path in [args.contract, *args.compare]]
    results = [simulate(spec, runs=args.runs, seed=args.seed) for spec in specs]
    if args.plot:
        from fullvalue.engine.payments.charts import plot_simulations

        plot_simulations(results, args.plot)
    print(render_simulations(results, args.format))
    return 0


def sroi_command(args: argparse.Namespace) -> int:
    """Run ``fullvalue sroi``."""
    from fullvalue.engine.payments.sroi import load_sroi_model, render_sroi, sroi

    result = sroi(load_sroi_model(args.model))
    print(render_sroi(result, args.format))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run only the payment commands (useful before the rest of the command line exists)."""
    parser = argparse.ArgumentParser(prog="fullvalue")
    register(parser.add_subparsers(dest="command", metavar="COMMAND"))
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except FullvalueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
