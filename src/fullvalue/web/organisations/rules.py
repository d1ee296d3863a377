"""Organisation input: parsing and the named business rules (no database access).

Each rule is a small function whose docstring is the text shown to the user. Parsing collects
every problem (field and reason) before anything is written, so pages, the API and file imports
give the same answers.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from fullvalue.domain.organisations import POLICE_FORCE_AREAS, REGIONS
from fullvalue.domain.orgid import OrgIdError, normalise_org_id
from fullvalue.errors import Problem
from fullvalue.rules import Breach, rule
from fullvalue.web.kernel import fields
from fullvalue.web.organisations.models import LegalForm, Sector

CHARITY_SCHEMES = ("GB-CHC", "GB-SC", "GB-NIC")
CHARITABLE_FORMS = {LegalForm.REGISTERED_CHARITY, LegalForm.CIO}
PUBLIC_FORMS = {LegalForm.PUBLIC_BODY, LegalForm.PCC, LegalForm.LOCAL_AUTHORITY}
LED_BY_FIELDS = {
    "led_by_women": "Led by and for women",
    "led_by_black_minoritised": "Led by and for Black and minoritised communities",
    "led_by_lived_experience": "Led by people with lived experience of the justice system",
    "led_by_disabled": "Led by and for disabled people",
}
MAX_INCOME = Decimal("1000000000000")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ONE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_AMOUNT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True)
class OrganisationInput:
    """A valid organisation, ready to write."""

    name: str
    legal_form: str
    sector: str
    identifiers: tuple[str, ...] = ()
    annual_income: Decimal | None = None
    regions: tuple[str, ...] = ()
    police_force_areas: tuple[str, ...] = ()
    led_by_women: bool = False
    led_by_black_minoritised: bool = False
    led_by_lived_experience: bool = False
    led_by_disabled: bool = False
    description: str = ""
    website: str = ""
    town: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    internal_notes: str = ""
    fields_given: frozenset[str] = field(default_factory=frozenset)

    def as_dict(self) -> dict[str, Any]:
        """The values as a plain mapping (for audit and for writing)."""
        return {
            name: getattr(self, name)
            for name in self.__dataclass_fields__
            if name != "fields_given"
        }


@rule
def rule_sector_matches_legal_form(legal_form: str, sector: str) -> Iterator[Breach]:
    """The sector must match the legal form: charities and CIOs are voluntary and community; public bodies, police and crime commissioners and local authorities are public; private companies are private."""  # noqa: E501
    expected = None
    if legal_form in CHARITABLE_FORMS:
        expected = Sector.VOLUNTARY
    elif legal_form in PUBLIC_FORMS:
        expected = Sector.PUBLIC
    elif legal_form == LegalForm.PRIVATE_COMPANY:
        expected = Sector.PRIVATE
    if expected is not None and sector != expected:
        yield Breach(
            f"{LegalForm(legal_form).label} must be in the {Sector(expected).label.lower()} sector",
            column="sector",
        )


@rule
def rule_charity_has_charity_number(
    legal_form: str, identifiers: tuple[str, ...]
) -> Iterator[Breach]:
    """A registered charity or CIO must have a charity number (GB-CHC, GB-SC or GB-NIC)."""
    if legal_form in CHARITABLE_FORMS and not any(
        i.startswith(CHARITY_SCHEMES) for i in identifiers
    ):
        yield Breach("none is given (one looks like GB-CHC-1092948)", column="identifiers")


def _text(
    value: Any,
    name: str,
    label: str,
    problems: list[Problem],
    *,
    max_len: int,
    multiline: bool = False,
) -> str:
    text = "" if value is None else str(value).strip()
    if (_CONTROL if multiline else _ONE_LINE_CONTROL).search(text):
        problems.append(Problem(f"{label} must not contain control characters", column=name))
        return ""
    if len(text) > max_len:
        problems.append(Problem(f"{label} must be {max_len} characters or fewer", column=name))
    return text


def _bool(value: Any, name: str, label: str, problems: list[Problem]) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in {"", "no", "n", "false", "0"}:
        return False
    if text in {"yes", "y", "true", "1", "on"}:
        return True
    problems.append(Problem(f"{label} must be yes or no, not {str(value)[:40]!r}", column=name))
    return False


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        items = re.split(r"[;\n]", str(value))
    return [i.strip() for i in items if i and i.strip()]


def _codes(
    value: Any, name: str, label: str, vocabulary: Mapping[str, str], problems: list[Problem]
) -> tuple[str, ...]:
    by_name = {v.lower(): k for k, v in vocabulary.items()}
    out: list[str] = []
    for item in _list(value):
        code = item if item in vocabulary else by_name.get(item.lower())
        if code is None:
            close = difflib.get_close_matches(item.lower(), list(by_name), n=3, cutoff=0.5)
            hint = (
                "; did you mean " + " or ".join(vocabulary[by_name[c]] for c in close) + "?"
                if close
                else "; use the names listed on the import page"
            )
            problems.append(
                Problem(f"{label}: {item[:60]!r} is not one we know{hint}", column=name)
            )
        elif code not in out:
            out.append(code)
    return tuple(sorted(out))


def parse_organisation(data: Mapping[str, Any]) -> tuple[OrganisationInput | None, list[Problem]]:
    """Validate raw input (form, JSON or a file row); return the input or every problem."""
    problems: list[Problem] = []
    try:
        name = fields.name(data.get("name"), "name", max_length=200, required=False)
    except fields.FieldInvalid as exc:
        problems += exc.problems
        name = "invalid"  # named above; not also "enter the name"
    if not name:
        problems.append(Problem("Enter the organisation's name", column="name"))

    legal_form = str(data.get("legal_form") or "").strip()
    if legal_form not in LegalForm.values:
        by_label = {c.label.lower(): c.value for c in LegalForm}
        legal_form = by_label.get(legal_form.lower(), legal_form)
    if legal_form not in LegalForm.values:
        problems.append(
            Problem(
                "Choose a legal form"
                if not legal_form
                else f"{legal_form[:40]!r} is not a legal form we know; use one of: "
                + ", ".join(LegalForm.labels),
                column="legal_form",
            )
        )
    sector = str(data.get("sector") or "").strip()
    if sector not in Sector.values:
        by_label = {c.label.lower(): c.value for c in Sector}
        sector = by_label.get(sector.lower(), sector)
    if sector not in Sector.values:
        problems.append(
            Problem(
                "Choose a sector"
                if not sector
                else f"{sector[:40]!r} is not a sector we know; use one of: "
                + ", ".join(Sector.labels),
                column="sector",
            )
        )

    identifiers: list[str] = []
    for raw in _list(data.get("identifiers")):
        try:
            value = normalise_org_id(raw)
        except OrgIdError as exc:
            problems.append(Problem(str(exc), column="identifiers"))
            continue
        if value in identifiers:
            problems.append(Problem(f"{value} is listed twice", column="identifiers"))
        else:
            identifiers.append(value)

    income: Decimal | None = None
    raw_income = str(data.get("annual_income") or "").strip().replace(",", "").lstrip("£")
    if raw_income:
        try:
            if not _AMOUNT.fullmatch(raw_income):  # ASCII digits, no exponent, NaN or infinity
                raise InvalidOperation
            income = Decimal(raw_income)
        except InvalidOperation:
            problems.append(
                Problem(
                    "Annual income must be an amount in pounds, like 250000", column="annual_income"
                )
            )
            income = None
        else:
            if income < 0:
                problems.append(Problem("Annual income cannot be negative", column="annual_income"))
            elif income >= MAX_INCOME:
                problems.append(
                    Problem("Annual income is implausibly large", column="annual_income")
                )
            elif income != income.quantize(Decimal("0.01")):
                problems.append(
                    Problem(
                        "Annual income can have at most 2 decimal places", column="annual_income"
                    )
                )

    regions = _codes(data.get("regions"), "regions", "Regions", REGIONS, problems)
    pfas = _codes(
        data.get("police_force_areas"),
        "police_force_areas",
        "Police force areas",
        POLICE_FORCE_AREAS,
        problems,
    )
    flags = {
        key: _bool(data.get(key), key, label, problems) for key, label in LED_BY_FIELDS.items()
    }

    website = _text(data.get("website"), "website", "Website", problems, max_len=200)
    if website:
        try:
            URLValidator(schemes=["http", "https"])(website)
        except ValidationError:
            problems.append(Problem("Enter a website address starting https://", column="website"))
    email = _text(
        data.get("contact_email"), "contact_email", "Contact email", problems, max_len=254
    )
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            problems.append(
                Problem(
                    "Enter an email address in the correct format, like name@example.org",
                    column="contact_email",
                )
            )
    phone = _text(data.get("contact_phone"), "contact_phone", "Contact phone", problems, max_len=40)
    if phone and not re.fullmatch(r"[0-9 +()\-]{6,40}", phone):
        problems.append(
            Problem("Enter a telephone number, like 01632 960 001", column="contact_phone")
        )

    texts = {
        key: _text(data.get(key), key, label, problems, max_len=limit, multiline=multiline)
        for key, label, limit, multiline in (
            ("description", "Description", 5000, True),
            ("town", "Town", 100, False),
            ("contact_name", "Contact name", 200, False),
            ("internal_notes", "Internal notes", 5000, True),
        )
    }

    if legal_form in LegalForm.values and sector in Sector.values:
        problems += rule_sector_matches_legal_form(legal_form, sector)
        identifier_errors = any(p.column == "identifiers" for p in problems)
        if not identifier_errors:
            problems += rule_charity_has_charity_number(legal_form, tuple(identifiers))

    if problems:
        return None, problems
    return (
        OrganisationInput(
            name=name,
            legal_form=legal_form,
            sector=sector,
            identifiers=tuple(identifiers),
            annual_income=income,
            regions=regions,
            police_force_areas=pfas,
            website=website,
            contact_email=email.lower(),
            contact_phone=phone,
            fields_given=frozenset(data.keys()),
            **flags,
            **texts,
        ),
        [],
    )
