from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    """Outcome-based programmes: outcomes paid for, cohort, volume, areas, mechanism."""

    name = "fullvalue.web.programmes"
    label = "programmes"
