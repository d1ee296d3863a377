from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    """Community budgets: partners pool money behind one business case, judged by the engine."""

    name = "fullvalue.web.budgets"
    label = "budgets"
