"""The OCDS API (public, no token), mounted at ``/api/v1/ocds``: releases and records.

Built by :mod:`fullvalue.web.publication.ocds` from the capabilities' selectors.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from fullvalue.errors import NotFound
from fullvalue.web.api.pagination import paginate
from fullvalue.web.api.problems import ERRORS
from fullvalue.web.publication import ocds
from fullvalue.web.publication.giving import grants_package
from fullvalue.web.publication.market import platform_summary

ocds_router = Router(auth=None, tags=["open data (OCDS)"])

Ocid = Annotated[
    str, Field(pattern=r"^ocds-", max_length=200, description="e.g. ocds-a1b2c3-FV-001-0001")
]


class ReleasePackageOut(Schema):
    """An OCDS 1.1 release package (see the OCDS schema for ``releases``)."""

    uri: str
    version: str
    extensions: list[str]
    publishedDate: str
    publisher: dict[str, Any]
    releases: list[dict[str, Any]]
    links: dict[str, str] | None = Field(None, description="``next``: the next page's URL")


class RecordPackageOut(Schema):
    """An OCDS 1.1 record package: records with their releases and compiled release."""

    uri: str
    version: str
    extensions: list[str]
    publishedDate: str
    publisher: dict[str, Any]
    records: list[dict[str, Any]]
    links: dict[str, str] | None = Field(None, description="``next``: the next page's URL")


class OcdsPageIn(Schema):
    """Which page of contracting processes."""

    cursor: str | None = Field(None, description="opaque; from the last page's links.next")
    limit: int = Field(20, description="contracting processes per page, 1-200")


@ocds_router.get(
    "/releases",
    exclude_unset=True,
    response={200: ReleasePackageOut, **ERRORS},
    summary="OCDS release package of all public releases",
)
def releases(request: HttpRequest, page: Query[OcdsPageIn]) -> Any:
    """Every public release, ``limit`` contracting processes (1-200) per page.

    Follow ``links.next`` until it is absent to read them all, each exactly once.
    """
    tenders, _, next_url = paginate(
        request, ocds.public_processes(), cursor=page.cursor, limit=page.limit, key="published_at"
    )
    return ocds.release_package(
        ocds.releases_for(tenders),
        uri=request.build_absolute_uri(),
        published=timezone.now(),
        next_url=next_url,
    )


@ocds_router.get(
    "/records",
    exclude_unset=True,
    response={200: RecordPackageOut, **ERRORS},
    summary="OCDS record package of all public contracting processes",
)
def records(request: HttpRequest, page: Query[OcdsPageIn]) -> Any:
    """A record per public contracting process, ``limit`` processes (1-200) per page.

    Each record holds the process's releases and its compiled release; follow ``links.next``
    until it is absent to read them all, each exactly once.
    """
    tenders, _, next_url = paginate(
        request, ocds.public_processes(), cursor=page.cursor, limit=page.limit, key="published_at"
    )
    return ocds.records_package(
        ocds.releases_for(tenders),
        uri=request.build_absolute_uri(),
        published=timezone.now(),
        next_url=next_url,
    )


@ocds_router.get(
    "/records/{ocid}",
    exclude_unset=True,
    response={200: RecordPackageOut, **ERRORS},
    summary="OCDS record package for one contracting process",
)
def record(request: HttpRequest, ocid: Ocid) -> Any:
    """The record for an ocid: its releases and the compiled release (OCDS merge rules)."""
    tender = ocds.tender_for_ocid(ocid)
    if tender is None:
        raise NotFound("No published contracting process has that ocid.")
    return ocds.record_package(
        ocid,
        ocds.releases_for([tender]),
        uri=request.build_absolute_uri(),
        published=timezone.now(),
    )


market_router = Router(auth=None, tags=["open data (market)"])


class MarketFigures(Schema):
    """Awarded value in GBP and its shares; money as decimal strings, shares 0-1."""

    awards: int
    value: str
    vcse_value: str
    vcse_share: float | None
    sme_value: str
    sme_share: float | None
    hhi: float | None = Field(description="Herfindahl-Hirschman index on supplier shares, 0-10,000")
    top5_share: float | None
    other_currencies: dict[str, str] = Field(description="awarded value in other currencies")


class BuyerFigures(MarketFigures):
    """One buyer's figures (the buyer's OCDS party id and name)."""

    buyer: str
    name: str


class YearFigures(MarketFigures):
    """One year's figures (by award date)."""

    year: str


class MarketSummaryOut(Schema):
    """The market over the platform's published processes, in total and by buyer or year."""

    total: MarketFigures
    buyers: list[BuyerFigures] | None = None
    years: list[YearFigures] | None = None


@market_router.get(
    "/summary",
    response={200: MarketSummaryOut, **ERRORS},
    exclude_unset=True,
    summary="Voluntary-sector and small-organisation shares of awarded value",
)
def summary(request: HttpRequest, by: Literal["buyer", "year"] = "buyer") -> Any:
    """Active awards in GBP from every public process: VCSE and SME shares and concentration."""
    return platform_summary(by)


giving_router = Router(auth=None, tags=["open data (360Giving)"])


class GivingOrganisation(Schema):
    """A 360Giving Organization (org-id, name, registry numbers)."""

    id: str
    name: str
    charityNumber: str | None = None
    companyNumber: str | None = None


class GivingDates(Schema):
    """When the funded work is planned to run."""

    startDate: str
    endDate: str


class GivingProgramme(Schema):
    """The grant programme (the programme the grant's tender was for)."""

    code: str
    title: str


class GrantOut(Schema):
    """One grant in the 360Giving Data Standard 1.4."""

    id: str
    title: str
    description: str
    currency: str
    amountAwarded: float
    awardDate: str
    recipientOrganization: list[GivingOrganisation]
    fundingOrganization: list[GivingOrganisation]
    dataSource: str
    plannedDates: list[GivingDates] | None = None
    grantProgramme: list[GivingProgramme] | None = None


class GrantPackageOut(Schema):
    """A 360Giving grants package (valid against the standard's package schema)."""

    version: str
    title: str
    description: str
    issued: str
    grants: list[GrantOut]


@giving_router.get(
    "/grants.json",
    response={200: GrantPackageOut, **ERRORS},
    exclude_unset=True,
    summary="Every grant made on Fullvalue, in the 360Giving Data Standard",
)
def giving_grants(request: HttpRequest) -> Any:
    """Grants made by commissioners on Fullvalue, as a 360Giving 1.4 package (no token)."""
    return grants_package()
