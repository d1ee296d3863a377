from django.apps import AppConfig


class PayrunsConfig(AppConfig):
    """Payment runs from the engine's settlement, two-person approval and flow-down."""

    name = "fullvalue.web.payruns"
    label = "payruns"
