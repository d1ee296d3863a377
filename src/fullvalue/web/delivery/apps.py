from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    """Participants (pseudonymised), outcome events with evidence, imports and claims."""

    name = "fullvalue.web.delivery"
    label = "delivery"
