"""Signed checkpoints of the audit chain's head, written outside the database.

A checkpoint is a small JSON file in ``AUDIT_CHECKPOINT_DIR`` (default
``var/audit-checkpoints``): the head's sequence number and hash, when it was written, and an
HMAC-SHA256 signature under the audit key. The task worker writes one at least daily and
whenever one is asked for (the ``audit_checkpoint`` task, or ``manage.py audit_checkpoint``);
auditors read them through ``GET /api/v1/audit/checkpoints`` and may keep their own copies.
``fullvalue verify-audit`` checks that the chain in the database still passes through the
latest checkpoint: a chain rewritten since then, even with the key, no longer does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from fullvalue.web.audit.chain import GENESIS
from fullvalue.web.audit.keys import current_key, known_keys
from fullvalue.web.audit.models import AuditHead

#: Write a checkpoint when the newest is older than this.
EVERY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at a moment, signed with the audit key ``key_id``."""

    seq: int
    hash: str
    written_at: str
    key_id: str
    signature: str = ""

    def payload(self) -> bytes:
        """The signed bytes: every field but the signature, as canonical JSON."""
        body = {k: v for k, v in asdict(self).items() if k != "signature"}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def signed_correctly(self) -> bool:
        """Whether the signature is right under the key it names (a key we know)."""
        key = known_keys().get(self.key_id)
        if key is None:
            return False
        expected = hmac.new(key.secret, self.payload(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.signature)


def checkpoint_dir() -> Path:
    """Where checkpoints are written (``AUDIT_CHECKPOINT_DIR``)."""
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def write_checkpoint(now: dt.datetime | None = None) -> Checkpoint:
    """Sign the chain's current head and write it as a new file; return the checkpoint."""
    head = AuditHead.objects.filter(id=1).first()
    key = current_key()
    when = (now or timezone.now()).astimezone(dt.UTC)
    unsigned = Checkpoint(
        seq=head.seq if head else 0,
        hash=head.hash if head else GENESIS,
        written_at=when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        key_id=key.id,
    )
    signature = hmac.new(key.secret, unsigned.payload(), hashlib.sha256).hexdigest()
    checkpoint = Checkpoint(**{**asdict(unsigned), "signature": signature})
    folder = checkpoint_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"checkpoint-{when:%Y%m%dT%H%M%S%fZ}-{checkpoint.seq}.json"
    partial = folder / f".{name}.{os.getpid()}"
    partial.write_text(json.dumps(asdict(checkpoint), indent=2) + "\n")
    os.replace(partial, folder / name)
    return checkpoint


def checkpoints(limit: int | None = None) -> list[Checkpoint]:
    """Stored checkpoints, newest first (files that cannot be read are skipped)."""
    try:
        files = sorted(checkpoint_dir().glob("checkpoint-*.json"), reverse=True)
    except OSError:
        return []
    out = []
    for path in files[:limit] if limit else files:
        try:
            out.append(Checkpoint(**json.loads(path.read_text())))
        except (OSError, ValueError, TypeError):
            continue
    return out


def latest_checkpoint() -> Checkpoint | None:
    """The newest stored checkpoint, or ``None``."""
    found = checkpoints(limit=1)
    return found[0] if found else None


def checkpoint_due(now: dt.datetime | None = None) -> bool:
    """Whether the newest checkpoint is missing or older than :data:`EVERY`."""
    latest = latest_checkpoint()
    if latest is None:
        return True
    written = dt.datetime.fromisoformat(latest.written_at.replace("Z", "+00:00"))
    return (now or timezone.now()) - written >= EVERY


def as_json(checkpoint: Checkpoint) -> dict[str, Any]:
    """A checkpoint for the API."""
    return asdict(checkpoint)


def write_if_due() -> Checkpoint | None:
    """The worker's daily duty: write a checkpoint when :func:`checkpoint_due`, else nothing."""
    return write_checkpoint() if checkpoint_due() else None
