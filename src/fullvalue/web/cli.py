"""Web sub-commands of ``fullvalue``: Django management, audit verification, demo codes."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fullvalue.web.settings")
    import django

    django.setup()


def _manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fullvalue.web.settings")
    execute_from_command_line(["fullvalue manage", *args.rest])
    return 0


def _verify_audit(args: argparse.Namespace) -> int:
    _setup_django()
    from fullvalue.web.audit.verify import verify_audit

    result = verify_audit()
    if result.ok:
        print(f"audit trail intact: {result.checked} events verified")
        return 0
    print(f"audit trail broken: {result.problem}", file=sys.stderr)
    print(f"({result.checked} events verified before it)", file=sys.stderr)
    return 1


def _demo_code(args: argparse.Namespace) -> int:
    _setup_django()
    from fullvalue.web.demo.services import demo_totp_code

    print(demo_totp_code(args.email))
    return 0


def register(subparsers: Any) -> None:
    """Add the web commands."""
    manage = subparsers.add_parser(
        "manage",
        help="run a Django management command (migrate, worker, load_demo ...)",
        add_help=False,
    )
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=_manage)

    verify = subparsers.add_parser(
        "verify-audit",
        help="check the audit trail's hash chain; name the first edited, deleted or reordered row",
        description=(
            "Recompute every audit event's SHA-256 chain hash in storage order. Exit 0 when "
            "intact; exit 1 naming the first row that was edited, deleted or reordered."
        ),
    )
    verify.set_defaults(handler=_verify_audit)

    code = subparsers.add_parser(
        "demo-code",
        help="print a demo user's current second-factor code (demo database only)",
        description=(
            "Print the current 6-digit TOTP code of a demo user. Refused unless the database "
            "holds the demo world and FULLVALUE_DEMO=1 is set; never works in production."
        ),
    )
    code.add_argument("email")
    code.set_defaults(handler=_demo_code)
