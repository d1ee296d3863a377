"""Second factors for demo people: a fixed key per email, so `script/demo-code` can show codes."""

from __future__ import annotations

import binascii
import hashlib

from django_otp.plugins.otp_totp.models import TOTPDevice

from fullvalue.web.accounts.models import User


def demo_totp_key(email: str) -> str:
    """A fixed, per-user TOTP key (hex) so demo codes are reproducible; demo only."""
    return binascii.hexlify(
        hashlib.sha256(f"fullvalue-demo:{email}".encode()).digest()[:20]
    ).decode()


def enrol_demo_device(user: User) -> None:
    """Give a demo person a confirmed authenticator (once), keyed by their email."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(
            user=user, name="Demo authenticator", confirmed=True, key=demo_totp_key(user.email)
        )
