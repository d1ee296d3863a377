from django.apps import AppConfig


class ContractsConfig(AppConfig):
    """Contracts created from awards (or entered directly) and their supply chains."""

    name = "fullvalue.web.contracts"
    label = "contracts"
