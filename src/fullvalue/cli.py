"""The ``fullvalue`` command line.

Sub-commands live beside the code they drive; each module named in ``COMMANDS`` exposes
``register(subparsers)``, adding its parsers with ``set_defaults(handler=...)``. A handler returns
an exit status. A :class:`~fullvalue.errors.FullvalueError` is printed as a list of problems
(never a traceback) and exits with status 2. Engine commands never import Django; web commands
set Django up themselves when they run.

Start-up is lazy: ``main`` imports only the module of the command being run (the payment
commands import SciPy, for one, which would otherwise cost every command half a second). Every
other command gets a placeholder parser with its one-line help from ``COMMANDS``, so
``fullvalue --help`` lists them all without importing any; a test checks the table against what
the modules register.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable, Sequence

from fullvalue.errors import FullvalueError

CBA = "fullvalue.engine.cba.cli"
MARKET = "fullvalue.engine.market.cli"
MEASURE = "fullvalue.engine.measure.cli"
PAYMENTS = "fullvalue.engine.payments.cli"
RETURNS = "fullvalue.engine.returns.cli"
WEB = "fullvalue.web.cli"

#: Each command's module and one-line help, grouped by module in the order ``--help`` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "reoffending": (MEASURE, "proven reoffending by cohort (MoJ definition)"),
    "compare": (
        MEASURE,
        "treated vs a propensity-score matched comparison group (Justice Data Lab method)",
    ),
    "baseline": (
        MEASURE,
        "actual vs case-mix adjusted expected reoffending (Transforming Rehabilitation)",
    ),
    "settle": (PAYMENTS, "work out what is payable under a contract, line by line"),
    "simulate": (
        PAYMENTS,
        "simulate a provider's income, net position and cash need under a contract",
    ),
    "power": (PAYMENTS, "minimum detectable effect of a cohort, and the probability of payment"),
    "sroi": (PAYMENTS, "social return on investment of a model"),
    "returns": (
        RETURNS,
        "every funder's return for every period, from one set of outcome records",
    ),
    "cba": (CBA, "cost-benefit analysis of a community budget: who pays, who benefits, payback"),
    "market": (
        MARKET,
        "VCSE and SME shares of awarded value and concentration, from OCDS packages",
    ),
    "manage": (WEB, "run a Django management command (migrate, worker, load_demo ...)"),
    "verify-audit": (
        WEB,
        "check the audit trail's hash chain; name the first edited, deleted or reordered row",
    ),
    "demo-code": (WEB, "print a demo user's current second-factor code (demo database only)"),
}
COMMAND_MODULES = tuple(dict.fromkeys(module for module, _ in COMMANDS.values()))


def build_parser(modules: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """Build the top-level parser.

    Parameters
    ----------
    modules : iterable of str, optional
        Command modules to import and register in full (default: all of ``COMMAND_MODULES``).
        The commands of the others get placeholder parsers carrying only their help line.

    """
    load = set(COMMAND_MODULES if modules is None else modules)
    parser = argparse.ArgumentParser(
        prog="fullvalue",
        description=(
            "Fullvalue: outcome-based commissioning of rehabilitation services. "
            "Run 'fullvalue COMMAND --help' for the definitions each command uses."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        if module in load:
            importlib.import_module(module).register(subparsers)
            continue
        for name, (home, help_text) in COMMANDS.items():
            if home == module:
                subparsers.add_parser(name, help=help_text, add_help=False)
    return parser


def command_module(argv: Sequence[str]) -> str | None:
    """Return the module of the command named in ``argv`` (its first non-option word), if any.

    Examples
    --------
    >>> command_module(["reoffending", "people.csv", "offences.csv"])
    'fullvalue.engine.measure.cli'
    >>> command_module(["--help"]) is None
    True

    """
    word = next((arg for arg in argv if not arg.startswith("-")), None)
    return COMMANDS[word][0] if word in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    module = command_module(arguments)
    parser = build_parser([module] if module else [])
    args = parser.parse_args(arguments)
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
