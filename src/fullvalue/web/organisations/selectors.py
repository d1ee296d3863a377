"""Reads of organisations, shaped per screen and filtered by what the actor may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from fullvalue.domain.organisations import (
    POLICE_FORCE_AREAS,
    REGIONS,
    SIZE_BAND_BOUNDS,
    SizeBand,
    size_band,
)
from fullvalue.domain.roles import ADMINISTERS_OWN_ORGANISATION, READS_ALL_PRIVATE
from fullvalue.errors import NotFound
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.organisations.models import Area, Identifier, LegalForm, Organisation, Sector
from fullvalue.web.organisations.rules import LED_BY_FIELDS

PUBLIC_COLUMNS = (
    "name",
    "slug",
    "legal_form",
    "sector",
    "identifiers",
    "annual_income",
    "size_band",
    "regions",
    "police_force_areas",
    *LED_BY_FIELDS,
    "description",
    "website",
    "town",
)
PRIVATE_COLUMNS = ("contact_name", "contact_email", "contact_phone", "internal_notes")


@dataclass(frozen=True)
class OrganisationFilters:
    """Directory filters; every one optional."""

    q: str = ""
    sector: str = ""
    legal_form: str = ""
    size_band: str = ""
    region: str = ""
    police_force_area: str = ""
    led_by: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, params: Any) -> OrganisationFilters:
        """Read filters from a QueryDict or a mapping (unknown values are ignored)."""
        get = params.get
        led = params.getlist("led_by") if hasattr(params, "getlist") else params.get("led_by", [])
        return cls(
            q=(get("q") or "").strip()[:100],
            sector=get("sector") or "",
            legal_form=get("legal_form") or "",
            size_band=get("size_band") or "",
            region=get("region") or "",
            police_force_area=get("police_force_area") or "",
            led_by=tuple(v for v in (led or []) if v in LED_BY_FIELDS),
        )

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return any(
            (
                self.q,
                self.sector,
                self.legal_form,
                self.size_band,
                self.region,
                self.police_force_area,
                self.led_by,
            )
        )


def can_read_private(actor: Actor, organisation_id: int) -> bool:
    """Private fields are for the organisation's own members, commissioners, auditors, admins."""
    return actor.role in READS_ALL_PRIVATE or actor.belongs_to(organisation_id)


def can_edit(actor: Actor, organisation_id: int) -> bool:
    """Administrators of the organisation (commissioner or provider admin), or a system admin."""
    if actor.is_system_admin:
        return True
    return actor.role in ADMINISTERS_OWN_ORGANISATION and actor.belongs_to(organisation_id)


def _base() -> QuerySet[Organisation]:
    return Organisation.objects.prefetch_related(
        Prefetch("identifiers", queryset=Identifier.objects.order_by("-is_primary", "value")),
        Prefetch("areas", queryset=Area.objects.order_by("kind", "name")),
    )


def organisation_list(actor: Actor, filters: OrganisationFilters) -> QuerySet[Organisation]:
    """Organisations matching the filters; the directory is public, so everyone sees all."""
    qs = _base()
    if filters.q:
        qs = qs.filter(
            Q(name__icontains=filters.q)
            | Q(town__icontains=filters.q)
            | Q(identifiers__value__icontains=filters.q)
        ).distinct()
    if filters.sector:
        qs = qs.filter(sector=filters.sector)
    if filters.legal_form:
        qs = qs.filter(legal_form=filters.legal_form)
    if filters.size_band in SizeBand.__members__.values():
        low, high = SIZE_BAND_BOUNDS[SizeBand(filters.size_band)]
        if low is not None:
            qs = qs.filter(annual_income__gte=low)
        if high is not None:
            qs = qs.filter(annual_income__lt=high)
    if filters.region:
        qs = qs.filter(areas__code=filters.region)
    if filters.police_force_area:
        qs = qs.filter(areas__code=filters.police_force_area)
    for flag in filters.led_by:
        qs = qs.filter(**{flag: True})
    return qs.order_by("name", "id")


def directory_version() -> str:
    """Changes whenever the directory does: the number of organisations and the latest change.

    Every write goes through ``Organisation.save`` (which sets ``updated_at``), including changes
    to areas and identifiers, and organisations are never deleted; so a page of results cached
    under this version is never stale, in any process or on any host.
    """
    agg = Organisation.objects.aggregate(n=Count("id"), latest=Max("updated_at"))
    latest = agg["latest"].isoformat() if agg["latest"] else ""
    return f"{agg['n']}:{latest}"


def organisation_get(actor: Actor, slug: str) -> Organisation:
    """One organisation by slug (public)."""
    org = _base().filter(slug=slug).first()
    if org is None:
        raise NotFound("No organisation with that address.")
    return org


def organisation_values(org: Organisation, *, private: bool) -> dict[str, Any]:
    """An organisation's fields as plain values; private fields only when ``private``."""
    band = org.size_band
    areas = list(org.areas.all())
    values: dict[str, Any] = {
        "id": org.id,
        "slug": org.slug,
        "name": org.name,
        "legal_form": org.legal_form,
        "sector": org.sector,
        "identifiers": [i.value for i in org.identifiers.all()],
        "annual_income": org.annual_income,
        "size_band": band.value if band else None,
        "regions": sorted(a.code for a in areas if a.kind == Area.Kind.REGION),
        "police_force_areas": sorted(
            a.code for a in areas if a.kind == Area.Kind.POLICE_FORCE_AREA
        ),
        **{flag: getattr(org, flag) for flag in LED_BY_FIELDS},
        "description": org.description,
        "website": org.website,
        "town": org.town,
    }
    if private:
        values.update({name: getattr(org, name) for name in PRIVATE_COLUMNS})
    return values


#: Directory download columns after ``name`` and ``slug``: each category in words, its code in
#: a column of its own (``*_code``/``*_codes``), which the import ignores (it reads the words).
EXPORT_CODE_COLUMNS = {
    "legal_form": "legal_form_code",
    "sector": "sector_code",
    "size_band": "size_band_code",
    "regions": "region_codes",
    "police_force_areas": "police_force_area_codes",
}


def export_rows(actor: Actor, orgs: QuerySet[Organisation]) -> tuple[list[str], list[list[Any]]]:
    """Rows for a directory download, with private columns only for roles that read them all.

    Categories are written in words (``Registered charity``, ``North West``, ``Yes``), each
    followed by its code in its own column, so a person reads the file and a program keys on it.
    """
    private = actor.role in READS_ALL_PRIVATE
    columns: list[str] = []
    for name in list(PUBLIC_COLUMNS) + (list(PRIVATE_COLUMNS) if private else []):
        columns.append(name)
        if name in EXPORT_CODE_COLUMNS:
            columns.append(EXPORT_CODE_COLUMNS[name])
    legal_forms = dict(LegalForm.choices)
    sectors = dict(Sector.choices)
    rows = []
    for org in orgs:
        values = organisation_values(org, private=private)
        words = dict(values)
        words["legal_form"] = legal_forms.get(values["legal_form"], values["legal_form"])
        words["sector"] = sectors.get(values["sector"], values["sector"])
        band = values["size_band"]
        words["size_band"] = SizeBand(band).label if band else None
        words["regions"] = [REGIONS.get(c, c) for c in values["regions"]]
        words["police_force_areas"] = [
            POLICE_FORCE_AREAS.get(c, c) for c in values["police_force_areas"]
        ]
        for flag in LED_BY_FIELDS:
            words[flag] = "Yes" if values[flag] else "No"
        for name, code_column in EXPORT_CODE_COLUMNS.items():
            words[code_column] = values[name]
        rows.append([words[c] for c in columns])
    return columns, rows


def market_summary() -> dict[str, Any]:
    """Counts by sector and size band, for the commissioner's view of the market."""
    by_sector = dict(Organisation.objects.values_list("sector").annotate(n=Count("id")).order_by())
    bands: dict[str, int] = {band.value: 0 for band in SizeBand}
    unknown = 0
    for income in Organisation.objects.filter(sector="voluntary").values_list(
        "annual_income", flat=True
    ):
        band = size_band(income)
        if band is None:
            unknown += 1
        else:
            bands[band.value] += 1
    led_by = {flag: Organisation.objects.filter(**{flag: True}).count() for flag in LED_BY_FIELDS}
    return {
        "by_sector": by_sector,
        "voluntary_by_band": bands,
        "unknown_income": unknown,
        "led_by": led_by,
    }


def organisation_by_id(organisation_id: int) -> Organisation | None:
    """An organisation by id (public fields are public; callers decide on private ones)."""
    return Organisation.objects.filter(id=organisation_id).first()


def existing_organisation_ids(ids: list[int]) -> set[int]:
    """Which of these organisation ids exist."""
    return set(Organisation.objects.filter(id__in=ids).values_list("id", flat=True))


def area_by_code(code: str) -> Area | None:
    """A region or police force area by its code."""
    return Area.objects.filter(code=code).first()


def provider_choices() -> list[tuple[str, str]]:
    """(id, name) of every organisation that can hold a contract (not public bodies), by name."""
    return [
        (str(pk), name)
        for pk, name in Organisation.objects.exclude(sector=Sector.PUBLIC)
        .order_by("name")
        .values_list("id", "name")
    ]


def organisation_count() -> int:
    """How many organisations the directory lists."""
    return Organisation.objects.count()


def areas_by_codes(codes: list[str]) -> list[Area]:
    """The regions and police force areas with these codes."""
    return list(Area.objects.filter(code__in=codes))


def organisation_names(ids: list[int]) -> dict[int, str]:
    """Names of these organisations by id."""
    return dict(Organisation.objects.filter(id__in=ids).values_list("id", "name"))


def voluntary_organisations(excluding: int | None = None) -> list[tuple[int, str]]:
    """(id, name) of voluntary and community organisations (possible partners), by name."""
    voluntary = Organisation.objects.filter(sector="voluntary")
    if excluding is not None:
        voluntary = voluntary.exclude(id=excluding)
    return list(voluntary.order_by("name").values_list("id", "name"))


def areas_served_by(organisation_id: int) -> list[Area]:
    """The regions and police force areas an organisation serves, by name."""
    return list(Area.objects.filter(organisations=organisation_id).order_by("name"))


def public_bodies() -> list[tuple[int, str]]:
    """(id, name) of public bodies (the agencies that can pool a community budget), by name."""
    return list(
        Organisation.objects.filter(sector=Sector.PUBLIC).order_by("name").values_list("id", "name")
    )
