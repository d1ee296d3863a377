"""Organisation identifiers in org-id.guide form (``SCHEME-IDENTIFIER``), validated per scheme.

An org-id is the registering scheme's code, a hyphen, and the identifier that register gives,
e.g. ``GB-CHC-1092948`` (a charity registered in England and Wales). We accept the schemes UK
commissioning meets most and normalise the identifier (upper case, spaces removed, Companies House
numbers zero-padded to eight characters) before validating it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Scheme:
    """One register: its org-id prefix, its name, the identifier pattern and an example."""

    code: str
    name: str
    pattern: str
    example: str
    rule: str


SCHEMES: dict[str, Scheme] = {
    s.code: s
    for s in (
        Scheme(
            "GB-CHC",
            "Charity Commission for England and Wales",
            r"\d{6,7}",
            "GB-CHC-1092948",
            "a registered charity number has 6 or 7 digits",
        ),
        Scheme(
            "GB-COH",
            "Companies House",
            r"(\d{8}|[A-Z]{2}\d{6})",
            "GB-COH-05238657",
            "a company number is 8 digits, or 2 letters and 6 digits (e.g. SC123456)",
        ),
        Scheme(
            "GB-SC",
            "Scottish Charity Regulator",
            r"SC\d{6}",
            "GB-SC-SC043995",
            "a Scottish charity number is SC followed by 6 digits",
        ),
        Scheme(
            "GB-NIC",
            "Charity Commission for Northern Ireland",
            r"1\d{5}",
            "GB-NIC-100012",
            "a Northern Ireland charity number is 6 digits starting with 1",
        ),
        Scheme(
            "GB-MPR",
            "Mutuals Public Register (FCA)",
            r"(IP|RS)?\d{1,6}R?",
            "GB-MPR-30241R",
            "a mutuals register number is up to 6 digits, optionally prefixed IP or RS "
            "and suffixed R",
        ),
        Scheme(
            "GB-GOR",
            "UK Government Organisation Register",
            r"[A-Z]{1,3}\d{1,4}",
            "GB-GOR-D18",
            "a government organisation code is 1 to 3 letters and 1 to 4 digits",
        ),
        Scheme(
            "GB-LAE",
            "Local Authorities in England",
            r"[A-Z]{3}",
            "GB-LAE-KEN",
            "a local authority code in England is 3 letters",
        ),
        Scheme(
            "GB-PCC",
            "Police and Crime Commissioners (force area code)",
            r"[A-Z]{2,6}",
            "GB-PCC-WMIDS",
            "a police and crime commissioner code is 2 to 6 letters",
        ),
    )
}

_SPLIT = re.compile(r"^(?P<scheme>[A-Za-z]{2}-[A-Za-z]{2,4})-(?P<id>.+)$")


class OrgIdError(ValueError):
    """An org-id that does not follow its scheme; the message says why."""


def normalise_org_id(value: str) -> str:
    """Return the canonical form of an org-id or raise :class:`OrgIdError` saying why.

    Examples
    --------
    >>> normalise_org_id(" gb-chc-1092948 ")
    'GB-CHC-1092948'
    >>> normalise_org_id("GB-COH-5238657")
    'GB-COH-05238657'
    >>> normalise_org_id("GB-CHC-12")
    Traceback (most recent call last):
    ...
    fullvalue.domain.orgid.OrgIdError: GB-CHC-12 is not valid: a registered charity number has 6 ...

    """
    text = (value or "").strip()
    match = _SPLIT.match(text)
    if not match:
        raise OrgIdError(
            f"{text or 'An empty value'} is not an org-id: expected SCHEME-IDENTIFIER, "
            "e.g. GB-CHC-1092948"
        )
    code = match["scheme"].upper()
    scheme = SCHEMES.get(code)
    if scheme is None:
        known = ", ".join(sorted(SCHEMES))
        raise OrgIdError(f"{code} is not a scheme we recognise (use one of {known})")
    ident = re.sub(r"\s+", "", match["id"]).upper()
    if code == "GB-COH" and ident.isdigit() and len(ident) < 8:
        ident = ident.zfill(8)
    if not re.fullmatch(scheme.pattern, ident):
        raise OrgIdError(f"{code}-{ident} is not valid: {scheme.rule}")
    return f"{code}-{ident}"
