"""Organisation vocabularies and the income size bands (pure rules, no Django)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum


class SizeBand(StrEnum):
    """NCVO income bands, used to see the market by size of organisation."""

    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
    MAJOR = "major"

    @property
    def label(self) -> str:
        """Human label with the income range."""
        return SIZE_BAND_LABELS[self]


SIZE_BAND_LABELS = {
    SizeBand.MICRO: "Micro (under £10,000)",
    SizeBand.SMALL: "Small (£10,000 to £99,999)",
    SizeBand.MEDIUM: "Medium (£100,000 to £999,999)",
    SizeBand.LARGE: "Large (£1 million to £10 million)",
    SizeBand.MAJOR: "Major (over £10 million)",
}

#: Lower bound (inclusive) of each band's annual income in GBP, except MAJOR which starts
#: strictly above £10m.
SIZE_BAND_BOUNDS: dict[SizeBand, tuple[Decimal | None, Decimal | None]] = {
    SizeBand.MICRO: (None, Decimal("10000")),
    SizeBand.SMALL: (Decimal("10000"), Decimal("100000")),
    SizeBand.MEDIUM: (Decimal("100000"), Decimal("1000000")),
    SizeBand.LARGE: (Decimal("1000000"), Decimal("10000000.01")),
    SizeBand.MAJOR: (Decimal("10000000.01"), None),
}


def size_band(annual_income: Decimal | None) -> SizeBand | None:
    """Return the size band for an annual income in GBP (``None`` when income is unknown).

    Notes
    -----
    Bands follow NCVO's UK Civil Society Almanac: micro < £10k; small £10k to under £100k;
    medium £100k to under £1m; large £1m to £10m inclusive; major over £10m.

    Examples
    --------
    >>> size_band(Decimal("9999.99")).value, size_band(Decimal("10000")).value
    ('micro', 'small')
    >>> size_band(Decimal("10000000")).value, size_band(Decimal("10000000.01")).value
    ('large', 'major')

    """
    if annual_income is None:
        return None
    for band, (low, high) in SIZE_BAND_BOUNDS.items():
        if (low is None or annual_income >= low) and (high is None or annual_income < high):
            return band
    raise AssertionError("bands cover every income")  # pragma: no cover


REGIONS = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
    "W92000004": "Wales",
    "S92000003": "Scotland",
    "N92000002": "Northern Ireland",
}

POLICE_FORCE_AREAS = {
    "avon-and-somerset": "Avon and Somerset",
    "bedfordshire": "Bedfordshire",
    "cambridgeshire": "Cambridgeshire",
    "cheshire": "Cheshire",
    "city-of-london": "City of London",
    "cleveland": "Cleveland",
    "cumbria": "Cumbria",
    "derbyshire": "Derbyshire",
    "devon-and-cornwall": "Devon and Cornwall",
    "dorset": "Dorset",
    "durham": "Durham",
    "dyfed-powys": "Dyfed-Powys",
    "essex": "Essex",
    "gloucestershire": "Gloucestershire",
    "greater-manchester": "Greater Manchester",
    "gwent": "Gwent",
    "hampshire": "Hampshire and Isle of Wight",
    "hertfordshire": "Hertfordshire",
    "humberside": "Humberside",
    "kent": "Kent",
    "lancashire": "Lancashire",
    "leicestershire": "Leicestershire",
    "lincolnshire": "Lincolnshire",
    "merseyside": "Merseyside",
    "metropolitan": "Metropolitan Police",
    "norfolk": "Norfolk",
    "north-wales": "North Wales",
    "north-yorkshire": "North Yorkshire",
    "northamptonshire": "Northamptonshire",
    "northumbria": "Northumbria",
    "nottinghamshire": "Nottinghamshire",
    "south-wales": "South Wales",
    "south-yorkshire": "South Yorkshire",
    "staffordshire": "Staffordshire",
    "suffolk": "Suffolk",
    "surrey": "Surrey",
    "sussex": "Sussex",
    "thames-valley": "Thames Valley",
    "warwickshire": "Warwickshire",
    "west-mercia": "West Mercia",
    "west-midlands": "West Midlands",
    "west-yorkshire": "West Yorkshire",
    "wiltshire": "Wiltshire",
    "police-scotland": "Police Scotland",
    "psni": "Police Service of Northern Ireland",
}
