from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The deterministic demo world."""

    name = "fullvalue.web.demo"
    label = "demo"
