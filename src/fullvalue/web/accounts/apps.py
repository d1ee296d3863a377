from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """People, memberships with roles, invitations, second factors and API tokens."""

    name = "fullvalue.web.accounts"
    label = "accounts"
