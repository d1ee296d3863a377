from django.apps import AppConfig


class InvestmentsConfig(AppConfig):
    """Social investment in outcome contracts: who funds which contract, on what terms."""

    name = "fullvalue.web.investments"
    label = "investments"
