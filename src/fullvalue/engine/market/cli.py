"""``fullvalue market``: the voluntary sector's and small organisations' shares of awarded value.

Reads OCDS release or record packages (streaming), compiles each process, and prints the shares
and concentration in total and by buyer or by year, as a table, JSON or CSV. A file that is not a
package raises :class:`~fullvalue.errors.FullvalueError` (exit status 2).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from typing import Any

from fullvalue.engine.market.io import compiled_processes
from fullvalue.engine.market.summary import summarise

HELP = "VCSE and SME shares of awarded value and concentration, from OCDS packages"
COLUMNS = (
    "awards",
    "value",
    "vcse_value",
    "vcse_share",
    "sme_value",
    "sme_share",
    "hhi",
    "top5_share",
)


def register(subparsers: Any) -> None:
    """Add ``market`` to the ``fullvalue`` command line."""
    parser = subparsers.add_parser(
        "market",
        help=HELP,
        description=(
            "Active awards in GBP (other currencies reported apart); a consortium's award split "
            "equally among its suppliers; VCSE when details.vcse or a charity-register identifier "
            "(GB-CHC, GB-SC, GB-NIC); SME by details.scale; HHI on supplier shares (0-10,000)."
        ),
    )
    parser.add_argument(
        "packages", nargs="+", metavar="PACKAGE", help="OCDS release or record package (JSON)"
    )
    parser.add_argument("--by", choices=("buyer", "year"), default="buyer")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parser.set_defaults(handler=market_command)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}" if value <= 1 else f"{value:,.1f}"
    return str(value)


def render(summary: dict[str, Any], by: str, output_format: str) -> str:
    """The summary as ``table``, ``json`` or ``csv`` text."""
    if output_format == "json":
        return json.dumps(summary, indent=2, ensure_ascii=False)
    groups = summary["buyers" if by == "buyer" else "years"]
    key = "buyer" if by == "buyer" else "year"
    rows = [[g[key], *(_cell(g[c]) for c in COLUMNS)] for g in groups]
    rows.append(["total", *(_cell(summary["total"][c]) for c in COLUMNS)])
    headers = [key, *COLUMNS]
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [headers, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def market_command(args: argparse.Namespace) -> int:
    """Run ``fullvalue market``."""
    summary = summarise(compiled_processes(args.packages), by=args.by)
    print(render(summary, args.by, args.format))
    return 0
