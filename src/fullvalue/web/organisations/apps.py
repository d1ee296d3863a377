from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    """Organisations: legal form, sector, org-id identifiers, size band, areas, led-by flags."""

    name = "fullvalue.web.organisations"
    label = "organisations"
