from django.apps import AppConfig


class SocialValueConfig(AppConfig):
    """Social value from bid to delivery: commitments, reported deliveries, verification."""

    name = "fullvalue.web.socialvalue"
    label = "socialvalue"
