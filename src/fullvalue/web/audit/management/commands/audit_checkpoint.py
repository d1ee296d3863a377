"""``manage.py audit_checkpoint``: write a signed checkpoint of the audit chain's head now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from fullvalue.web.audit.checkpoints import checkpoint_dir, write_checkpoint


class Command(BaseCommand):
    help = "Write a signed checkpoint of the audit chain's head (var/audit-checkpoints)."

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = write_checkpoint()
        self.stdout.write(
            f"checkpoint of seq {checkpoint.seq} ({checkpoint.hash[:16]}...) written to "
            f"{checkpoint_dir()}"
        )
