from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    """Right to Challenge: windows, expressions of interest from relevant bodies, decisions."""

    name = "fullvalue.web.challenges"
    label = "challenges"
