"""The ``fullvalue`` command line.

Sub-commands live beside the code they drive; each module listed in ``COMMAND_MODULES`` exposes
``register(subparsers)``, adding its parsers with ``set_defaults(handler=...)``. A handler returns
an exit status. A :class:`~fullvalue.errors.FullvalueError` is printed as a list of problems
(never a traceback) and exits with status 2. Engine commands never import Django; web commands
set Django up themselves when they run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from fullvalue.errors import FullvalueError

COMMAND_MODULES = (
    "fullvalue.engine.measure.cli",
    "fullvalue.engine.payments.cli",
    "fullvalue.web.cli",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="fullvalue",
        description=(
            "Fullvalue: outcome-based commissioning of rehabilitation services. "
            "Run 'fullvalue COMMAND --help' for the definitions each command uses."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except FullvalueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
