from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared web plumbing: actors, errors, exports, pages and tasks."""

    name = "fullvalue.web.core"
    label = "core"
