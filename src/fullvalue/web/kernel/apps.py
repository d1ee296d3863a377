from django.apps import AppConfig


class KernelConfig(AppConfig):
    """The kernel: actors, forms, fields, tables, exports, pages, panels, tasks, health.

    Its app label stays ``core``, so its tables and migration history are unchanged.
    """

    name = "fullvalue.web.kernel"
    label = "core"
