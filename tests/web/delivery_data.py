"""Data shared by the delivery tests: the women's centre mechanism and a participants file."""

from __future__ import annotations

from tests.web.cycle import EXAMPLES

MECHANISM = (EXAMPLES / "womens-centre" / "contract.toml").read_text()

PEOPLE = (
    (
        "case_reference,full_name,date_of_birth,referred_on,started_on,left_on,sex,ethnicity,"
        "age_band,cohort\n"
    )
    + """W001,Ann Example,1990-02-01,2025-04-03,2025-04-10,,female,caribbean,35-44,2025
W002,Bea Example,,2025-05-01,2025-05-02,,female,not stated,25-34,2025
W003,Cat Example,,03/06/2025,04/06/2025,,female,irish,18-24,2025
BAD 4,Dee,,2025-06-01,,,female,,,
W005,Eve,,2025-02-30,,,female,,,
W006,Fay,,2025-07-01,2025-06-01,,female,,,
W007,Gil,,2025-07-01,,,alien,,,
W001,Dup,,2025-07-01,,,female,,,
"""
)
