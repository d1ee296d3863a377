"""The web layer's named rules (pure functions of their inputs), one worked example each."""

from __future__ import annotations

from decimal import Decimal

from fullvalue.web.contracts.services import (
    MAX_FLOW_DOWN_DAYS,
    rule_flow_down_terms,
    rule_shares_within_whole,
)
from fullvalue.web.delivery.services import MAX_EVIDENCE_BYTES, rule_evidence_file
from fullvalue.web.programmes.risk import PBR_SHARE_WARNING, rule_pbr_share_for_cohort
from fullvalue.web.tendering.documents import rule_document_type_and_size


def test_flow_down_terms():
    """30 days is the limit: 30 is kept, 31 is broken, and the message names the member row."""
    assert MAX_FLOW_DOWN_DAYS == 30
    assert rule_flow_down_terms(MAX_FLOW_DOWN_DAYS) == []
    [problem] = rule_flow_down_terms(MAX_FLOW_DOWN_DAYS + 1, where="members[2]")
    assert problem.location == "members[2]" and problem.column == "payment_terms_days"
    assert "within 30 days" in problem.reason and "terms are 31 days" in problem.reason
    assert f"{MAX_FLOW_DOWN_DAYS} days" in rule_flow_down_terms.text


def test_shares_within_whole():
    """0.6 + 0.5 = 110% => broken; 0.6 + 0.4 = 100% => kept."""
    assert rule_shares_within_whole([Decimal("0.6"), Decimal("0.4")]) == []
    [problem] = rule_shares_within_whole([Decimal("0.6"), Decimal("0.5")])
    assert "add up to 110.0%" in problem.reason


def test_pbr_share_for_cohort():
    """80% on results with an MDE of 8 points => warned; 20% on results, or an MDE of 3 => not."""
    [problem] = rule_pbr_share_for_cohort(0.8, 0.08, 120)
    assert problem.reason.startswith(rule_pbr_share_for_cohort.text)
    assert "80% of expected income" in problem.reason and "120 a year" in problem.reason
    assert rule_pbr_share_for_cohort(0.2, 0.08, 120) == []
    assert rule_pbr_share_for_cohort(0.8, 0.03, 5000) == []
    assert rule_pbr_share_for_cohort(0.8, None, 120) == []
    assert f"{PBR_SHARE_WARNING:.0%}" in rule_pbr_share_for_cohort.text


def test_evidence_file():
    assert rule_evidence_file("letter.pdf", b"%PDF-1.7 ...") == []
    [empty] = rule_evidence_file("letter.pdf", b"")
    assert "the file is empty" in empty.reason
    [kind] = rule_evidence_file("run.exe", b"MZ")
    assert "a .exe file" in kind.reason
    both = rule_evidence_file("scan.png", b"%PDF" + b"0" * MAX_EVIDENCE_BYTES)
    assert ["not a real .png" in p.reason for p in both] == [True, False]
    assert "over 10 MB" in both[1].reason


def test_document_type_and_size():
    assert rule_document_type_and_size("data.csv", b"a,b\n1,2\n") == []
    [problem] = rule_document_type_and_size("data.csv", "caf\xe9".encode("latin-1"))
    assert problem.reason.startswith(rule_document_type_and_size.text)
    assert "not UTF-8" in problem.reason
