"""The OCDS 1.1 rules our publication must keep, written from the standard's documentation.

The official JSON schemas cannot be downloaded on our machines and are not ours to copy, so these
rules restate, in our own words, what the published OCDS 1.1 documentation and the extensions we
use require of the fields we publish: required fields, formats, closed codelists, identifiers and
cross-references, and the extension fields. Each rule is one small function whose docstring is
the rule; the ``check_*`` functions run them all and return every problem found (nothing raises),
each a :class:`~fullvalue.errors.Problem` whose ``location`` is a slash path such as
``releases/0/tender/status``.

Where we are stricter than the standard it is on purpose, because the data is ours:

- currencies are checked against the active ISO 4217 codes (the standard's closed list also keeps
  withdrawn ones);
- party roles must come from the core ``partyRole`` codelist (open) or our one documented
  addition, ``subcontractor``;
- every organisation reference must name a party of the same release that carries the matching
  role.

For full validation against the official schemas, use lib-cove-ocds (``docs/ocds.md``).
No Django here: the rules run on plain JSON.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from fullvalue.errors import Problem

Json = Mapping[str, Any]

#: releaseTag (closed).
RELEASE_TAGS = frozenset(
    {
        "planning",
        "planningUpdate",
        "tender",
        "tenderAmendment",
        "tenderUpdate",
        "tenderCancellation",
        "award",
        "awardUpdate",
        "awardCancellation",
        "contract",
        "contractUpdate",
        "contractAmendment",
        "implementation",
        "implementationUpdate",
        "contractTermination",
        "compiled",
    }
)
#: initiationType (closed).
INITIATION_TYPES = frozenset({"tender"})
#: tenderStatus (closed); also used for lot status by the lots extension.
TENDER_STATUSES = frozenset(
    {"planning", "planned", "active", "cancelled", "unsuccessful", "complete", "withdrawn"}
)
#: method (closed).
PROCUREMENT_METHODS = frozenset({"open", "selective", "limited", "direct"})
#: procurementCategory (closed).
PROCUREMENT_CATEGORIES = frozenset({"goods", "works", "services"})
#: awardStatus (closed).
AWARD_STATUSES = frozenset({"pending", "active", "cancelled", "unsuccessful"})
#: contractStatus (closed).
CONTRACT_STATUSES = frozenset({"pending", "active", "cancelled", "terminated"})
#: partyRole (open in OCDS 1.1): the core codes ...
PARTY_ROLES = frozenset(
    {
        "buyer",
        "procuringEntity",
        "supplier",
        "tenderer",
        "funder",
        "enquirer",
        "payer",
        "payee",
        "reviewBody",
        "interestedParty",
    }
)
#: ... and the codes we add, documented in docs/ocds.md.
ADDITIONAL_PARTY_ROLES = frozenset({"subcontractor"})
#: partyScale (closed; party details scale extension).
PARTY_SCALES = frozenset({"micro", "sme", "small", "medium", "large"})
#: criterionWeight (closed; award criteria breakdown extension).
CRITERION_WEIGHTS = frozenset(
    {
        "percentageExact",
        "percentageRangeMiddle",
        "decimalExact",
        "decimalRangeMiddle",
        "pointsExact",
        "pointsRangeMiddle",
        "order",
    }
)
#: awardCriterionType (award criteria breakdown extension; open, we use only these).
AWARD_CRITERION_TYPES = frozenset({"price", "cost", "quality"})
#: Active ISO 4217 currency codes.
_CURRENCY_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK
    JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK
    MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
    PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG
    XAU XBA XBB XBC XBD XCD XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWL
"""
CURRENCIES = frozenset(_CURRENCY_CODES.split())

_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE
)
_OCID_PREFIX = re.compile(r"^ocds-[a-z0-9]{6}")
_URI = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)
_LANGUAGE = re.compile(r"^[a-z]{2}$")


# --- the rules -------------------------------------------------------------------------------


def required_fields(obj: Json, fields: Iterable[str], path: str) -> Iterator[Problem]:
    """A required field must be present, and not null or empty."""
    for name in fields:
        if obj.get(name) in (None, "", [], {}):
            yield Problem(f"{name} is required", location=_join(path, name))


def is_date_time(value: Any, path: str) -> Iterator[Problem]:
    """A date must be an RFC 3339 date-time with a timezone, e.g. 2027-01-04T09:00:00Z.

    Examples
    --------
    >>> list(is_date_time("2027-01-04T09:00:00Z", "date"))
    []
    >>> [p.location for p in is_date_time("2027-01-04T09:00:00", "date")]
    ['date']

    """
    ok = isinstance(value, str) and bool(_DATE_TIME.match(value))
    if ok:
        try:
            dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        except ValueError:
            ok = False
    if not ok:
        yield Problem(
            f"{value!r} is not an RFC 3339 date-time with a timezone (e.g. 2027-01-04T09:00:00Z)",
            location=path,
        )


def in_codelist(value: Any, codes: frozenset[str], codelist: str, path: str) -> Iterator[Problem]:
    """A coded field must use a code from its codelist (codes are case-sensitive)."""
    if value not in codes:
        yield Problem(f"{value!r} is not in the {codelist} codelist", location=path)


def ocid_has_prefix(ocid: Any, prefix: str, path: str) -> Iterator[Problem]:
    """An ocid is the publisher's prefix (ocds- and six letters or digits), a hyphen and an id.

    The prefix is the one this service is configured with (``OCID_PREFIX``); prefixes are
    assigned by the Open Contracting Partnership.
    """
    if not isinstance(ocid, str) or not _OCID_PREFIX.match(ocid):
        yield Problem(
            f"{ocid!r} does not start with an OCID prefix (ocds- and six letters or digits)",
            location=path,
        )
    elif not ocid.startswith(f"{prefix}-") or len(ocid) == len(prefix) + 1:
        yield Problem(f"{ocid!r} does not start with our prefix {prefix!r}", location=path)


def is_string(value: Any, path: str) -> Iterator[Problem]:
    """An identifier or text field must be a non-empty string."""
    if not isinstance(value, str) or not value:
        yield Problem(f"{value!r} must be a non-empty string", location=path)


def is_number(value: Any, path: str) -> Iterator[Problem]:
    """An amount or count must be a JSON number (not a string, boolean, NaN or infinity)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        yield Problem(f"{value!r} must be a number", location=path)


def is_boolean(value: Any, path: str) -> Iterator[Problem]:
    """A flag must be true or false."""
    if not isinstance(value, bool):
        yield Problem(f"{value!r} must be true or false", location=path)


def is_uri(value: Any, path: str) -> Iterator[Problem]:
    """A URI must be absolute (scheme and address)."""
    if not isinstance(value, str) or not _URI.match(value):
        yield Problem(f"{value!r} is not an absolute URI", location=path)


def is_language(value: Any, path: str) -> Iterator[Problem]:
    """A language is a lower-case two-letter ISO 639-1 code, e.g. en."""
    if not isinstance(value, str) or not _LANGUAGE.match(value):
        yield Problem(f"{value!r} is not a two-letter ISO 639-1 code", location=path)


def is_value(value: Any, path: str) -> Iterator[Problem]:
    """A value has a numeric amount and an ISO 4217 currency."""
    if not isinstance(value, Mapping):
        yield Problem("a value must be an object with amount and currency", location=path)
        return
    if "amount" in value:
        yield from is_number(value["amount"], _join(path, "amount"))
    if "amount" in value and "currency" not in value:
        yield Problem("an amount needs its currency", location=_join(path, "currency"))
    if "currency" in value:
        yield from in_codelist(value["currency"], CURRENCIES, "currency", _join(path, "currency"))


def is_period(period: Any, path: str) -> Iterator[Problem]:
    """A period's dates are date-times, and it does not end before it starts."""
    if not isinstance(period, Mapping):
        yield Problem("a period must be an object", location=path)
        return
    bad = False
    for name in ("startDate", "endDate", "maxExtentDate"):
        if name in period:
            problems = list(is_date_time(period[name], _join(path, name)))
            bad = bad or bool(problems)
            yield from problems
    both = not bad and "startDate" in period and "endDate" in period
    if both and _parse(period["endDate"]) < _parse(period["startDate"]):
        yield Problem("the period ends before it starts", location=_join(path, "endDate"))


def is_proportion(value: Any, path: str, *, above_zero: bool = False) -> Iterator[Problem]:
    """A percentage is a proportion from 0 to 1 (0.3 means 30%)."""
    problems = list(is_number(value, path))
    if problems:
        yield from problems
    elif not (0 < value <= 1 if above_zero else 0 <= value <= 1):
        low = "above 0" if above_zero else "from 0"
        yield Problem(f"{value!r} must be a proportion {low} to 1", location=path)


def unique_ids(items: Any, path: str) -> Iterator[Problem]:
    """Objects in an array each have an id, and no two share one."""
    seen: set[Any] = set()
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, Mapping):
            yield Problem("must be an object", location=f"{path}/{i}")
            continue
        ident = item.get("id")
        if ident in (None, ""):
            yield Problem("id is required", location=f"{path}/{i}/id")
        elif ident in seen:
            yield Problem(f"id {ident!r} is used twice", location=f"{path}/{i}/id")
        seen.add(ident)


def refers_to_party(
    ref: Any, parties: Mapping[str, Json], role: str | None, path: str
) -> Iterator[Problem]:
    """An organisation reference names a party in ``parties`` that has the matching role."""
    if not isinstance(ref, Mapping) or not isinstance(ref.get("id"), str):
        yield Problem("an organisation reference needs the party's id", location=_join(path, "id"))
        return
    party = parties.get(ref["id"])
    if party is None:
        yield Problem(f"no party has id {ref['id']!r}", location=_join(path, "id"))
        return
    if "name" in ref and ref["name"] != party.get("name"):
        yield Problem("the name differs from the party's name", location=_join(path, "name"))
    if role and role not in (party.get("roles") or []):
        yield Problem(f"party {ref['id']!r} does not have the role {role!r}", location=path)


def refers_to_ids(values: Any, known: set[str], what: str, path: str) -> Iterator[Problem]:
    """A cross-reference (e.g. relatedLots, awardID) names an object that exists."""
    for i, value in enumerate(values if isinstance(values, list) else [values]):
        if value not in known:
            where = f"{path}/{i}" if isinstance(values, list) else path
            yield Problem(f"no {what} has id {value!r}", location=where)


# --- objects -----------------------------------------------------------------------------------


def _join(path: str, name: str | int) -> str:
    return f"{path}/{name}" if path else str(name)


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))


def _objects(items: Any, path: str) -> Iterator[tuple[Json, str]]:
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, Mapping):
            yield item, f"{path}/{i}"


def _check_identifier(identifier: Any, path: str) -> Iterator[Problem]:
    if not isinstance(identifier, Mapping):
        yield Problem("an identifier must be an object", location=path)
        return
    yield from required_fields(identifier, ("scheme", "id"), path)
    for name in ("scheme", "id"):
        if name in identifier:
            yield from is_string(identifier[name], _join(path, name))


def _check_party(party: Json, path: str) -> Iterator[Problem]:
    yield from required_fields(party, ("id", "name"), path)
    roles = party.get("roles")
    if roles is not None and not isinstance(roles, list):
        yield Problem("roles must be an array of codes", location=_join(path, "roles"))
    for j, role in enumerate(roles if isinstance(roles, list) else []):
        yield from in_codelist(
            role, PARTY_ROLES | ADDITIONAL_PARTY_ROLES, "partyRole", _join(path, f"roles/{j}")
        )
    if "identifier" in party:
        yield from _check_identifier(party["identifier"], _join(path, "identifier"))
    others = party.get("additionalIdentifiers")
    for item, where in _objects(others, _join(path, "additionalIdentifiers")):
        yield from _check_identifier(item, where)
    details = party.get("details")
    if isinstance(details, Mapping):
        if "scale" in details:
            yield from in_codelist(
                details["scale"], PARTY_SCALES, "partyScale", _join(path, "details/scale")
            )
        if "vcse" in details:
            yield from is_boolean(details["vcse"], _join(path, "details/vcse"))


def _check_award_criteria(criteria: Any, path: str) -> Iterator[Problem]:
    if not isinstance(criteria, Mapping):
        yield Problem("award criteria must be an object", location=path)
        return
    for criterion, where in _objects(criteria.get("criteria"), _join(path, "criteria")):
        if "type" in criterion:
            yield from in_codelist(
                criterion["type"], AWARD_CRITERION_TYPES, "awardCriterionType", f"{where}/type"
            )
        for number, at in _objects(criterion.get("numbers"), f"{where}/numbers"):
            yield from required_fields(number, ("number",), at)
            if "number" in number:
                yield from is_number(number["number"], f"{at}/number")
            if "weight" in number:
                yield from in_codelist(
                    number["weight"], CRITERION_WEIGHTS, "criterionWeight", f"{at}/weight"
                )


def _check_tender(tender: Json, path: str) -> Iterator[Problem]:
    yield from required_fields(tender, ("id",), path)
    codes = (
        ("status", TENDER_STATUSES, "tenderStatus"),
        ("procurementMethod", PROCUREMENT_METHODS, "method"),
        ("mainProcurementCategory", PROCUREMENT_CATEGORIES, "procurementCategory"),
    )
    for name, allowed, codelist in codes:
        if name in tender:
            yield from in_codelist(tender[name], allowed, codelist, _join(path, name))
    for name in ("tenderPeriod", "enquiryPeriod", "awardPeriod", "contractPeriod"):
        if name in tender:
            yield from is_period(tender[name], _join(path, name))
    for name in ("value", "minValue"):
        if name in tender:
            yield from is_value(tender[name], _join(path, name))
    if "numberOfTenderers" in tender:
        yield from is_number(tender["numberOfTenderers"], _join(path, "numberOfTenderers"))
    for name in ("lots", "milestones", "documents"):
        yield from unique_ids(tender.get(name, []), _join(path, name))
    for lot, where in _objects(tender.get("lots"), _join(path, "lots")):
        if "status" in lot:
            yield from in_codelist(
                lot["status"], TENDER_STATUSES, "tenderStatus", f"{where}/status"
            )
        if "value" in lot:
            yield from is_value(lot["value"], f"{where}/value")
        if "awardCriteria" in lot:
            yield from _check_award_criteria(lot["awardCriteria"], f"{where}/awardCriteria")
    for milestone, where in _objects(tender.get("milestones"), _join(path, "milestones")):
        for name in ("dueDate", "dateMet", "dateModified"):
            if name in milestone:
                yield from is_date_time(milestone[name], f"{where}/{name}")
    for amendment, where in _objects(tender.get("amendments"), _join(path, "amendments")):
        if "date" in amendment:
            yield from is_date_time(amendment["date"], f"{where}/date")


def _check_subcontracting(sub: Any, path: str) -> Iterator[Problem]:
    if not isinstance(sub, Mapping) or not sub:
        yield Problem("subcontracting must be an object with at least one field", location=path)
        return
    for name, above_zero in (("minimumPercentage", False), ("maximumPercentage", True)):
        if name in sub:
            yield from is_proportion(sub[name], _join(path, name), above_zero=above_zero)
    low, high = sub.get("minimumPercentage"), sub.get("maximumPercentage")
    if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
        yield Problem("the minimum exceeds the maximum", location=_join(path, "minimumPercentage"))
    if "value" in sub:
        yield from is_value(sub["value"], _join(path, "value"))
    yield from unique_ids(sub.get("subcontracts", []), _join(path, "subcontracts"))


def _check_award(award: Json, path: str) -> Iterator[Problem]:
    yield from required_fields(award, ("id",), path)
    if "status" in award:
        yield from in_codelist(award["status"], AWARD_STATUSES, "awardStatus", f"{path}/status")
    if "date" in award:
        yield from is_date_time(award["date"], f"{path}/date")
    if "value" in award:
        yield from is_value(award["value"], f"{path}/value")
    if "standstillPeriod" in award:
        yield from is_period(award["standstillPeriod"], f"{path}/standstillPeriod")
    if "hasSubcontracting" in award:
        yield from is_boolean(award["hasSubcontracting"], f"{path}/hasSubcontracting")
    if "subcontracting" in award:
        yield from _check_subcontracting(award["subcontracting"], f"{path}/subcontracting")
        if award.get("hasSubcontracting") is False:
            yield Problem(
                "subcontracting is described but hasSubcontracting is false",
                location=f"{path}/hasSubcontracting",
            )


def _check_contract(contract: Json, path: str) -> Iterator[Problem]:
    yield from required_fields(contract, ("id", "awardID"), path)
    if "status" in contract:
        yield from in_codelist(
            contract["status"], CONTRACT_STATUSES, "contractStatus", f"{path}/status"
        )
    if "value" in contract:
        yield from is_value(contract["value"], f"{path}/value")
    if "period" in contract:
        yield from is_period(contract["period"], f"{path}/period")
    if "dateSigned" in contract:
        yield from is_date_time(contract["dateSigned"], f"{path}/dateSigned")


def _check_bids(bids: Any, path: str) -> Iterator[Problem]:
    if not isinstance(bids, Mapping):
        yield Problem("bids must be an object", location=path)
        return
    yield from unique_ids(bids.get("statistics", []), _join(path, "statistics"))
    for stat, where in _objects(bids.get("statistics"), _join(path, "statistics")):
        yield from required_fields(stat, ("id", "measure"), where)
        if "value" not in stat:
            yield Problem("value is required", location=f"{where}/value")
        else:
            yield from is_number(stat["value"], f"{where}/value")
        if "date" in stat:
            yield from is_date_time(stat["date"], f"{where}/date")
        if "relatedLot" in stat:
            yield from is_string(stat["relatedLot"], f"{where}/relatedLot")


def _check_references(release: Json, path: str) -> Iterator[Problem]:
    parties = {
        p["id"]: p
        for p in release.get("parties") or []
        if isinstance(p, Mapping) and isinstance(p.get("id"), str)
    }
    if "buyer" in release:
        yield from refers_to_party(release["buyer"], parties, "buyer", _join(path, "buyer"))
    tender = release.get("tender")
    if isinstance(tender, Mapping):
        if "procuringEntity" in tender:
            yield from refers_to_party(
                tender["procuringEntity"],
                parties,
                "procuringEntity",
                _join(path, "tender/procuringEntity"),
            )
        for ref, where in _objects(tender.get("tenderers"), _join(path, "tender/tenderers")):
            yield from refers_to_party(ref, parties, "tenderer", where)
    lots = {
        lot["id"]
        for lot, _ in _objects(tender.get("lots") if isinstance(tender, Mapping) else None, "")
        if "id" in lot
    }
    awards = {a["id"] for a, _ in _objects(release.get("awards"), "") if "id" in a}
    for award, where in _objects(release.get("awards"), _join(path, "awards")):
        for ref, at in _objects(award.get("suppliers"), f"{where}/suppliers"):
            yield from refers_to_party(ref, parties, "supplier", at)
        sub = award.get("subcontracting")
        for contract, at in _objects(
            sub.get("subcontracts") if isinstance(sub, Mapping) else None,
            f"{where}/subcontracting/subcontracts",
        ):
            if "subcontractor" in contract:
                yield from refers_to_party(
                    contract["subcontractor"], parties, "subcontractor", f"{at}/subcontractor"
                )
        if lots and "relatedLots" in award:
            yield from refers_to_ids(award["relatedLots"], lots, "lot", f"{where}/relatedLots")
    bids = release.get("bids")
    if lots and isinstance(bids, Mapping):
        for stat, where in _objects(bids.get("statistics"), _join(path, "bids/statistics")):
            if "relatedLot" in stat:
                yield from refers_to_ids(stat["relatedLot"], lots, "lot", f"{where}/relatedLot")
    if awards:
        for contract, where in _objects(release.get("contracts"), _join(path, "contracts")):
            if "awardID" in contract:
                yield from refers_to_ids(contract["awardID"], awards, "award", f"{where}/awardID")


def check_release(release: Any, *, ocid_prefix: str, path: str = "") -> list[Problem]:
    """Every rule a release breaks (a compiled release is checked the same way).

    Cross-references (lots, awards) are checked only against what the release itself holds:
    a release may refer to lots published in an earlier release; check the compiled release to
    see the whole contracting process.
    """
    if not isinstance(release, Mapping):
        return [Problem("a release must be an object", location=path)]
    problems = list(required_fields(release, ("ocid", "id", "date", "tag", "initiationType"), path))
    if "ocid" in release:
        problems += ocid_has_prefix(release["ocid"], ocid_prefix, _join(path, "ocid"))
    if "id" in release:
        problems += is_string(release["id"], _join(path, "id"))
    if "date" in release:
        problems += is_date_time(release["date"], _join(path, "date"))
    tags = release.get("tag")
    if tags is not None and not isinstance(tags, list):
        problems.append(Problem("tag must be an array of codes", location=_join(path, "tag")))
    for i, tag in enumerate(tags if isinstance(tags, list) else []):
        problems += in_codelist(tag, RELEASE_TAGS, "releaseTag", _join(path, f"tag/{i}"))
    if "initiationType" in release:
        problems += in_codelist(
            release["initiationType"],
            INITIATION_TYPES,
            "initiationType",
            _join(path, "initiationType"),
        )
    if "language" in release:
        problems += is_language(release["language"], _join(path, "language"))
    problems += unique_ids(release.get("parties", []), _join(path, "parties"))
    for party, where in _objects(release.get("parties"), _join(path, "parties")):
        problems += _check_party(party, where)
    planning = release.get("planning")
    if isinstance(planning, Mapping) and isinstance(planning.get("budget"), Mapping):
        budget = planning["budget"]
        if "amount" in budget:
            problems += is_value(budget["amount"], _join(path, "planning/budget/amount"))
    if "tender" in release:
        if isinstance(release["tender"], Mapping):
            problems += _check_tender(release["tender"], _join(path, "tender"))
        else:
            problems.append(Problem("tender must be an object", location=_join(path, "tender")))
    problems += unique_ids(release.get("awards", []), _join(path, "awards"))
    for award, where in _objects(release.get("awards"), _join(path, "awards")):
        problems += _check_award(award, where)
    problems += unique_ids(release.get("contracts", []), _join(path, "contracts"))
    for contract, where in _objects(release.get("contracts"), _join(path, "contracts")):
        problems += _check_contract(contract, where)
    if "bids" in release:
        problems += _check_bids(release["bids"], _join(path, "bids"))
    problems += _check_references(release, path)
    return problems


def _check_package_metadata(package: Json, contents: str) -> Iterator[Problem]:
    yield from required_fields(package, ("uri", "publishedDate", "publisher", "version"), "")
    if contents not in package or not isinstance(package[contents], list):
        yield Problem(f"{contents} is required and must be an array", location=contents)
    if "uri" in package:
        yield from is_uri(package["uri"], "uri")
    if "publishedDate" in package:
        yield from is_date_time(package["publishedDate"], "publishedDate")
    publisher = package.get("publisher")
    if isinstance(publisher, Mapping):
        yield from required_fields(publisher, ("name",), "publisher")
    elif publisher is not None:
        yield Problem("publisher must be an object with a name", location="publisher")
    if "version" in package and package["version"] != "1.1":
        yield Problem(f"version {package['version']!r} is not '1.1'", location="version")
    extensions = package.get("extensions", [])
    if not isinstance(extensions, list):
        yield Problem("extensions must be an array of URLs", location="extensions")
    for i, url in enumerate(extensions if isinstance(extensions, list) else []):
        problems = list(is_uri(url, f"extensions/{i}"))
        yield from problems
        if not problems and not str(url).endswith("extension.json"):
            yield Problem("an extension URL points to its extension.json", f"extensions/{i}")
    links = package.get("links")
    if isinstance(links, Mapping):
        for name in ("next", "prev"):
            if name in links:
                yield from is_uri(links[name], f"links/{name}")
    elif links is not None:
        yield Problem("links must be an object", location="links")


def check_release_package(package: Any, *, ocid_prefix: str) -> list[Problem]:
    """Every rule a release package (and each of its releases) breaks."""
    if not isinstance(package, Mapping):
        return [Problem("a release package must be an object")]
    problems = list(_check_package_metadata(package, "releases"))
    seen: set[tuple[Any, Any]] = set()
    for i, release in enumerate(package.get("releases") or []):
        problems += check_release(release, ocid_prefix=ocid_prefix, path=f"releases/{i}")
        if isinstance(release, Mapping):
            key = (release.get("ocid"), release.get("id"))
            if key in seen:
                problems.append(
                    Problem(f"release id {key[1]!r} is used twice", location=f"releases/{i}/id")
                )
            seen.add(key)
    return problems


def check_record_package(package: Any, *, ocid_prefix: str) -> list[Problem]:
    """Every rule a record package, its records, releases and compiled releases break."""
    if not isinstance(package, Mapping):
        return [Problem("a record package must be an object")]
    problems = list(_check_package_metadata(package, "records"))
    for i, record in enumerate(package.get("records") or []):
        path = f"records/{i}"
        if not isinstance(record, Mapping):
            problems.append(Problem("a record must be an object", location=path))
            continue
        problems += required_fields(record, ("ocid", "releases"), path)
        if "ocid" in record:
            problems += ocid_has_prefix(record["ocid"], ocid_prefix, f"{path}/ocid")
        for j, release in enumerate(record.get("releases") or []):
            where = f"{path}/releases/{j}"
            if isinstance(release, Mapping) and "url" in release:  # a linked release
                problems += required_fields(release, ("url", "date", "tag"), where)
                problems += is_uri(release["url"], f"{where}/url")
                continue
            problems += check_release(release, ocid_prefix=ocid_prefix, path=where)
            if isinstance(release, Mapping) and release.get("ocid") != record.get("ocid"):
                problems.append(Problem("the release is for another ocid", f"{where}/ocid"))
        if "compiledRelease" in record:
            compiled = record["compiledRelease"]
            problems += check_release(
                compiled, ocid_prefix=ocid_prefix, path=f"{path}/compiledRelease"
            )
            if isinstance(compiled, Mapping) and compiled.get("tag") != ["compiled"]:
                problems.append(
                    Problem("a compiled release is tagged 'compiled'", f"{path}/compiledRelease")
                )
    return problems
