from django.apps import AppConfig


class TenderingConfig(AppConfig):
    """Tenders with lots, consortium bids, full-value evaluation and award."""

    name = "fullvalue.web.tendering"
    label = "tendering"
