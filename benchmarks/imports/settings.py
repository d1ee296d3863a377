"""The project's settings plus django-import-export, for the benchmark processes only."""

from fullvalue.web.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "import_export"]  # noqa: F405
