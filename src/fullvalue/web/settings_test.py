"""Settings for the test suite: the production settings with test-only speed-ups."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("FULLVALUE_TESTING", "1")

from fullvalue.web.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_FAILURE_LIMIT = 5
API_RATE_LIMIT = "100000/m"

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 (whitenoise warns when it is missing)

# Each test run counts its own API requests (a run must not inherit the last one's).
CACHES["throttle"]["LOCATION"] = tempfile.mkdtemp(prefix="fullvalue-throttle-")  # noqa: F405
atexit.register(shutil.rmtree, CACHES["throttle"]["LOCATION"], True)  # noqa: F405
