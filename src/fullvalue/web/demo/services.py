"""Demo-only conveniences, refused outside a demo database."""

from __future__ import annotations

import os
import time

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from fullvalue.errors import FullvalueError, PermissionDenied
from fullvalue.web.demo.models import DemoMarker


def demo_totp_code(email: str) -> str:
    """The current second-factor code of a demo user.

    Refused unless ``FULLVALUE_DEMO=1`` is set *and* the database holds the demo world, so it can
    never reveal a code in production.
    """
    if os.environ.get("FULLVALUE_DEMO") != "1" or not DemoMarker.objects.exists():
        raise PermissionDenied("demo-code works only on the demo database (FULLVALUE_DEMO=1).")
    device = TOTPDevice.objects.filter(user__email=email.lower(), confirmed=True).first()
    if device is None:
        raise FullvalueError(f"{email} has no second factor (or is not a demo user).")
    code = totp(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift
    )
    # Codes change every 30 seconds; say how long this one lasts.
    remaining = device.step - int(time.time() - device.t0) % device.step
    return f"{code:0{device.digits}d}  (valid for about {remaining} more seconds)"
