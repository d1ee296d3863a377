"""Bid contents encrypted at rest (Fernet: AES-128-CBC with HMAC-SHA256).

The key comes from ``BID_ENCRYPTION_KEY`` (a Fernet key: 32 url-safe base64 bytes) or, when it is
not set, is derived from ``SECRET_KEY`` with HKDF so local and demo installs work. Production
should set its own key and keep it outside the database, so a database copy alone reveals no bid.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _fernet() -> Fernet:
    key = os.environ.get("BID_ENCRYPTION_KEY")
    if not key:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"fullvalue-bids", info=b"bid-sealing"
        ).derive(settings.SECRET_KEY.encode())
        key = base64.urlsafe_b64encode(derived).decode()
    return Fernet(key)


def seal(contents: dict[str, Any]) -> bytes:
    """Encrypt a bid's contents (JSON) for storage."""
    return _fernet().encrypt(json.dumps(contents, sort_keys=True, default=str).encode())


def unseal(token: bytes | memoryview) -> dict[str, Any]:
    """Decrypt stored contents; raises ``RuntimeError`` if the key is wrong or data altered."""
    try:
        return json.loads(_fernet().decrypt(bytes(token)))
    except InvalidToken as exc:
        raise RuntimeError("bid contents cannot be decrypted with this key") from exc
