"""Data for the commissioning-cycle tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
START = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)


def programme_data():
    return {
        "title": "Women's Rehabilitation Service",
        "summary": "Holistic women's centres.",
        "cohort": "Women on community orders and licence",
        "volume_low": 120,
        "volume_expected": 150,
        "volume_high": 180,
        "budget": "1350000",
        "years": 3,
        "outcomes": ["proven-reoffending-binary", "accommodation-settled"],
        "areas": ["E12000005"],
        "delivery_setting": "mixed",
        "current_provision": "Probation-run groups.",
        "what_must_change": "Women-only spaces.",
        "mechanism_toml": (EXAMPLES / "womens-centre" / "contract.toml").read_text(),
    }


def tender_data():
    return {
        "title": "Women's centres 2027",
        "description": "Two lots.",
        "procedure": "open",
        "consortium_deadline": "2027-01-25T12:00:00+00:00",
        "clarification_deadline": "2027-02-01T12:00:00+00:00",
        "submission_deadline": "2027-02-10T12:00:00+00:00",
        "lots": [
            {"title": "Birmingham", "area": "E12000005", "value": "450000"},
            {
                "title": "Black country (small organisations)",
                "value": "300000",
                "reserved_for_small": True,
            },
        ],
        "criteria": [
            {"name": "Price", "kind": "price", "weight": "30"},
            {
                "name": "Service design",
                "kind": "quality",
                "weight": "40",
                "question": "How will you run a women-only service?",
            },
            {"name": "Working with lived experience", "kind": "quality", "weight": "15"},
            {"name": "Social value", "kind": "social_value", "weight": "15"},
        ],
        "pass_fail": ["Do you hold £5m public liability insurance?"],
    }


def contents(tender, price, sv, answer="We will."):
    quality = [c for c in tender.criteria.all() if c.kind == "quality"]
    return {
        "price": price,
        "answers": {str(c.id): answer for c in quality},
        "social_value": [
            {
                "measure": "Jobs for prison leavers",
                "unit": "job",
                "quantity": sv,
                "proxy_value": "12000",
            }
        ],
        "pass_fail": {str(q.id): True for q in tender.pass_fail.all()},
        "declarations": {"conflicts": "", "exclusion_grounds": False},
    }
