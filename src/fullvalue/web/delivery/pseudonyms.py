"""Keyed pseudonyms for participants (HMAC-SHA256), stable across imports, not reversible.

The key comes from ``PSEUDONYM_KEY`` or, when it is not set, is derived from ``SECRET_KEY``;
production should set its own and keep it outside the database.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=1)
def _key(secret: str) -> bytes:
    explicit = os.environ.get("PSEUDONYM_KEY")
    if explicit:
        return explicit.encode()
    return hashlib.sha256(b"fullvalue-pseudonym:" + secret.encode()).digest()


def pseudonym(contract_id: int, provider_id: int, case_reference: str) -> str:
    """The participant's pseudonym on a contract (64 hex characters)."""
    message = f"{contract_id}:{provider_id}:{case_reference.strip().upper()}".encode()
    return hmac.new(_key(settings.SECRET_KEY), message, hashlib.sha256).hexdigest()
