"""Organisations and the areas they serve."""

from __future__ import annotations

from django.db import models

from fullvalue.domain.organisations import size_band


class LegalForm(models.TextChoices):
    """Legal forms met in criminal-justice commissioning."""

    REGISTERED_CHARITY = "registered_charity", "Registered charity"
    CIO = "cio", "Charitable incorporated organisation (CIO)"
    CIC = "cic", "Community interest company (CIC)"
    COMPANY_LIMITED_BY_GUARANTEE = "clg", "Company limited by guarantee"
    MUTUAL = "mutual", "Mutual"
    SOCIAL_ENTERPRISE = "social_enterprise", "Social enterprise"
    PRIVATE_COMPANY = "private_company", "Private company"
    PUBLIC_BODY = "public_body", "Public body"
    PCC = "pcc", "Police and crime commissioner"
    LOCAL_AUTHORITY = "local_authority", "Local authority"


class Sector(models.TextChoices):
    """Sector, for market insight (the voluntary sector's share of spend)."""

    VOLUNTARY = "voluntary", "Voluntary and community"
    PRIVATE = "private", "Private"
    PUBLIC = "public", "Public"


class Area(models.Model):
    """A region or a police force area an organisation serves (reference data)."""

    class Kind(models.TextChoices):
        REGION = "region", "Region"
        POLICE_FORCE_AREA = "pfa", "Police force area"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """An organisation: commissioner, prime, sub-contractor, investor or community body.

    Public fields are visible to anyone; ``contact_*`` and ``internal_notes`` are private (the
    organisation's own members, commissioners, auditors and system administrators).
    """

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    legal_form = models.CharField(max_length=32, choices=LegalForm.choices)
    sector = models.CharField(max_length=16, choices=Sector.choices)
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    town = models.CharField(max_length=100, blank=True)
    annual_income = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, help_text="GBP per year"
    )
    areas = models.ManyToManyField(Area, blank=True, related_name="organisations")
    led_by_women = models.BooleanField(default=False)
    led_by_black_minoritised = models.BooleanField(default=False)
    led_by_lived_experience = models.BooleanField(default=False)
    led_by_disabled = models.BooleanField(default=False)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    internal_notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["sector", "legal_form"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def size_band(self):
        """The NCVO size band of the annual income, or ``None`` when income is unknown."""
        return size_band(self.annual_income)


class Identifier(models.Model):
    """An org-id such as ``GB-CHC-1092948``; one organisation may hold several."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="identifiers"
    )
    value = models.CharField(max_length=60, unique=True)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "value"]

    def __str__(self) -> str:
        return self.value

    @property
    def scheme(self) -> str:
        """The scheme prefix, e.g. ``GB-CHC``."""
        return "-".join(self.value.split("-")[:2])


class ImportBatch(models.Model):
    """An uploaded organisations file, kept between its preview and the user's decision."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Previewed"
        IMPORTED = "imported", "Imported"

    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, related_name="+"
    )
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PREVIEWED)
    created_at = models.DateTimeField(auto_now_add=True)
    result = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
