from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """Report once: shared outcome records, and every funder's return produced from them."""

    name = "fullvalue.web.reporting"
    label = "reporting"
