"""``fullvalue cba``: a community budget's business case from the command line.

Prints the headline figures and who pays and who benefits as a table (for people) or JSON (for
programs); ``--sensitivity`` adds the figures with each assumption moved. Bad input raises
:class:`~fullvalue.errors.FullvalueError`, which the dispatcher prints with every problem and
turns into exit status 2.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fullvalue.engine.cba.analysis import CbaResult, Scenario, cost_benefit, sensitivity
from fullvalue.engine.cba.case import load_case

HELP = "cost-benefit analysis of a community budget: who pays, who benefits, payback"


def register(subparsers: Any) -> None:
    """Add ``cba`` to the ``fullvalue`` command line."""
    parser = subparsers.add_parser(
        "cba",
        help=HELP,
        description=(
            "Cost-benefit analysis of a business case (HM Treasury 2014 guidance for local "
            "partnerships): benefit = number × unit value × (1 - deadweight) × (1 - optimism "
            "bias), discounted by (1 + r)^(t - 1); PV of costs and of fiscal, economic and social "
            "benefits, ROI, NPV, payback, and per agency the costs paid and savings received. "
            "GBP rounded half-up to the penny."
        ),
    )
    parser.add_argument("case", help="business case (TOML; see docs/cba-case.schema.json)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument(
        "--sensitivity",
        action="store_true",
        help="also show the figures with deadweight ±0.1, outcomes -25%%, optimism bias +0.1",
    )
    parser.set_defaults(handler=cba_command)


def _gbp(amount: Decimal) -> str:
    rounded = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{'-' if rounded < 0 else ''}£{abs(rounded):,.2f}"


def _maybe(value: object, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value}{suffix}"


def _payback(year: int | None) -> str:
    return "never (within the horizon)" if year is None else f"year {year}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def fmt(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    return "\n".join([fmt(headers), "  ".join("-" * w for w in widths), *map(fmt, rows)])


def render_cba(result: CbaResult, scenarios: Sequence[Scenario], output_format: str) -> str:
    """Render the analysis (and any sensitivity scenarios) as ``table`` or ``json`` text."""
    if output_format == "json":
        data = result.as_dict()
        if scenarios:
            data["sensitivity"] = [
                {"assumption": s.assumption, **s.result.headline()} for s in scenarios
            ]
        return json.dumps(data, indent=2, ensure_ascii=False)
    lines = [
        f"Cost-benefit analysis: {result.name}",
        "",
        f"PV of costs                {_gbp(result.pv_costs):>16}",
        f"PV of fiscal benefits      {_gbp(result.pv_fiscal):>16}",
        f"PV of economic benefits    {_gbp(result.pv_economic):>16}",
        f"PV of social benefits      {_gbp(result.pv_social):>16}",
        f"fiscal NPV                 {_gbp(result.fiscal_npv):>16}",
        f"public-value NPV           {_gbp(result.public_value_npv):>16}",
        f"fiscal ROI                 {_maybe(result.fiscal_roi):>16}",
        f"public-value ROI           {_maybe(result.public_value_roi):>16}",
        f"payback                    {_payback(result.payback_years)}",
        "",
        "Who pays and who benefits (present values)",
        "",
        _table(
            ["agency", "costs paid", "fiscal benefits", "cashable", "payback"],
            [
                [
                    a.agency,
                    _gbp(a.pv_costs),
                    _gbp(a.pv_fiscal_benefits),
                    _gbp(a.pv_cashable_benefits),
                    _payback(a.payback_years),
                ]
                for a in result.by_agency
            ],
        ),
    ]
    if scenarios:
        lines += [
            "",
            "Sensitivity (each assumption moved on its own)",
            "",
            _table(
                ["assumption", "fiscal ROI", "public-value ROI", "fiscal NPV", "payback"],
                [
                    [
                        s.assumption,
                        _maybe(s.result.fiscal_roi),
                        _maybe(s.result.public_value_roi),
                        _gbp(s.result.fiscal_npv),
                        _payback(s.result.payback_years),
                    ]
                    for s in scenarios
                ],
            ),
        ]
    return "\n".join(lines)


def cba_command(args: argparse.Namespace) -> int:
    """Run ``fullvalue cba``."""
    case = load_case(args.case)
    result = cost_benefit(case)
    scenarios = sensitivity(case) if args.sensitivity else ()
    print(render_cba(result, scenarios, args.format))
    return 0
