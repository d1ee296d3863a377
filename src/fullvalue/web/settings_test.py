"""Settings for the test suite: the production settings with test-only speed-ups."""

import os

os.environ.setdefault("FULLVALUE_TESTING", "1")

from fullvalue.web.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_FAILURE_LIMIT = 5
API_RATE_LIMIT = "100000/m"

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 (whitenoise warns when it is missing)
