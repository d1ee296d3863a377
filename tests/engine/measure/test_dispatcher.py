"""The ``fullvalue`` dispatcher starts without importing the heavy libraries."""

import argparse
import subprocess
import sys

import pytest

from fullvalue.cli import COMMANDS, build_parser, main

HEAVY = ("numpy", "polars", "scipy", "django", "fullvalue.engine.payments.cli")


def imported_after(argv):
    """Run ``fullvalue ARGV`` in a fresh interpreter; return its exit status and heavy imports."""
    code = (
        "import sys\n"
        "from fullvalue.cli import main\n"
        "try:\n"
        f"    status = main({argv!r})\n"
        "except SystemExit as exc:\n"
        "    status = exc.code\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(status, ','.join(heavy), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    status, _, heavy = done.stderr.strip().splitlines()[-1].partition(" ")
    return int(status), done.stdout, [m for m in heavy.split(",") if m]


def test_top_level_help_lists_every_command_without_importing_them():
    status, out, heavy = imported_after(["--help"])
    assert status == 0
    assert heavy == []
    for name, (_, help_text) in COMMANDS.items():
        assert name in out
        assert help_text.split()[0] in out


def test_a_measure_command_imports_only_its_own_module():
    status, out, heavy = imported_after(["reoffending", "--help"])
    assert status == 0
    assert "Breaches of" in out
    assert heavy == []


def test_the_table_matches_what_the_modules_register():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    registered = {action.dest: action.help for action in subparsers._choices_actions}
    assert registered == {name: help_text for name, (_, help_text) in COMMANDS.items()}


@pytest.mark.parametrize("name", [name for name in COMMANDS if name != "manage"])
def test_every_command_has_help(name, capsys):
    with pytest.raises(SystemExit) as caught:
        main([name, "--help"])
    assert caught.value.code == 0
    assert f"usage: fullvalue {name}" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["reoffend"])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out
