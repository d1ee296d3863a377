"""The audit key: what makes the chain impossible to recompute from inside the database.

Each event's hash is an HMAC-SHA256 under the audit key, which lives outside the database:
``AUDIT_KEY`` in the environment, else the file ``var/audit_key`` (``script/setup`` creates it,
as it does ``var/secret_key``), else a key derived from ``SECRET_KEY``. Whoever can write the
database but not read the key cannot forge the hashes of rows they edit.

Keys rotate: each event records the id of the key that signed it (a digest of the key, which
does not reveal it). Set the new key as ``AUDIT_KEY`` and keep the old ones, comma-separated,
in ``AUDIT_RETIRED_KEYS`` (or one a line in ``var/audit_keys_retired``) so older events still
verify.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class AuditKey:
    """A key and its id (the first 16 hex digits of a SHA-256 of it)."""

    id: str
    secret: bytes = b""

    @classmethod
    def of(cls, secret: str | bytes) -> AuditKey:
        """The key for a secret given as text or bytes."""
        raw = secret.encode() if isinstance(secret, str) else secret
        return cls(hashlib.sha256(b"fullvalue audit key id\n" + raw).hexdigest()[:16], raw)

    def __repr__(self) -> str:
        return f"AuditKey(id={self.id!r})"  # never the secret


def _file_text(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def current_key() -> AuditKey:
    """The key new events are signed with."""
    configured = getattr(settings, "AUDIT_KEY", "") or _file_text(
        Path(settings.VAR_DIR) / "audit_key"
    )
    if configured:
        return AuditKey.of(configured)
    derived = hashlib.sha256(b"fullvalue audit key\n" + settings.SECRET_KEY.encode()).digest()
    return AuditKey.of(derived)


def known_keys() -> dict[str, AuditKey]:
    """Every key that may have signed an event, by id: the current one and the retired ones."""
    retired = [k for k in getattr(settings, "AUDIT_RETIRED_KEYS", []) if k]
    retired += _file_text(Path(settings.VAR_DIR) / "audit_keys_retired").splitlines()
    keys = {key.id: key for key in (AuditKey.of(k.strip()) for k in retired if k.strip())}
    current = current_key()
    keys[current.id] = current
    return keys
