from django.apps import AppConfig


class InvolvementConfig(AppConfig):
    """Community involvement: comments on programmes and tenders open in a person's area."""

    name = "fullvalue.web.involvement"
    label = "involvement"
