"""Org-id validation per scheme, size bands and the second-factor rule."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fullvalue.domain.organisations import SizeBand, size_band
from fullvalue.domain.orgid import OrgIdError, normalise_org_id
from fullvalue.domain.roles import Role, needs_second_factor


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("GB-CHC-1092948", "GB-CHC-1092948"),
        ("gb-chc-202918", "GB-CHC-202918"),
        ("GB-COH-5238657", "GB-COH-05238657"),
        ("GB-COH-sc123456", "GB-COH-SC123456"),
        ("GB-SC-SC043995", "GB-SC-SC043995"),
        ("GB-NIC-100012", "GB-NIC-100012"),
        ("GB-MPR-30241R", "GB-MPR-30241R"),
        ("GB-GOR-D18", "GB-GOR-D18"),
        ("GB-LAE-KEN", "GB-LAE-KEN"),
        (" GB-CHC-1092 948 ", "GB-CHC-1092948"),
    ],
)
def test_valid_org_ids_normalise(raw, expected):
    assert normalise_org_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("GB-CHC-12", "6 or 7 digits"),
        ("GB-CHC-ABCDEFG", "6 or 7 digits"),
        ("GB-COH-123456789", "8 digits"),
        ("GB-SC-043995", "SC followed by 6 digits"),
        ("GB-NIC-200012", "starting with 1"),
        ("XX-ABC-123", "not a scheme we recognise"),
        ("1092948", "expected SCHEME-IDENTIFIER"),
        ("", "expected SCHEME-IDENTIFIER"),
        ("GB-CHC-<script>", "6 or 7 digits"),
    ],
)
def test_invalid_org_ids_say_why(raw, reason):
    with pytest.raises(OrgIdError, match=reason):
        normalise_org_id(raw)


@given(st.text(max_size=40))
def test_any_text_either_normalises_or_raises_org_id_error(text):
    try:
        value = normalise_org_id(text)
    except OrgIdError:
        return
    assert value == normalise_org_id(value)  # idempotent


@pytest.mark.parametrize(
    ("income", "band"),
    [
        ("0", SizeBand.MICRO),
        ("9999.99", SizeBand.MICRO),
        ("10000", SizeBand.SMALL),
        ("99999.99", SizeBand.SMALL),
        ("100000", SizeBand.MEDIUM),
        ("999999.99", SizeBand.MEDIUM),
        ("1000000", SizeBand.LARGE),
        ("10000000", SizeBand.LARGE),
        ("10000000.01", SizeBand.MAJOR),
    ],
)
def test_size_band_boundaries(income, band):
    assert size_band(Decimal(income)) == band


def test_unknown_income_has_no_band():
    assert size_band(None) is None


@given(st.decimals(min_value=0, max_value=10**11, places=2, allow_nan=False))
def test_every_income_has_exactly_one_band(income):
    assert isinstance(size_band(income), SizeBand)


def test_second_factor_roles():
    assert needs_second_factor({Role.COMMISSIONER})
    assert needs_second_factor({Role.SYSTEM_ADMIN})
    assert not needs_second_factor({Role.PROVIDER_ADMIN, Role.AUDITOR, Role.INVESTOR})
