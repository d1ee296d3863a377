"""Tender documents: type and size limits, amendment when the tender is open, OCDS, download."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fullvalue.errors import FullvalueError, PermissionDenied
from fullvalue.web.programmes.services import programme_create
from fullvalue.web.tendering.documents import MAX_BYTES, document_add, rule_document_type_and_size
from fullvalue.web.tendering.models import Amendment
from fullvalue.web.tendering.services import tender_create, tender_publish
from tests.web.cycle import START, programme_data, tender_data
from tests.web.ocds_rules import check_release_package

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n" + b"x" * 2000


@pytest.fixture
def tender(world):
    programme = programme_create(actor=world["commissioner"], data=programme_data())
    return tender_create(actor=world["commissioner"], programme_id=programme.id, data=tender_data())


@pytest.mark.parametrize(
    ("filename", "content", "reason"),
    [
        ("spec.exe", b"MZ....", "Here the file is a .exe file."),
        ("spec.pdf", b"<html>not a pdf</html>", "not a real .pdf file"),
        ("prices.xlsx", b"%PDF-1.7", "not a real .xlsx file"),
        ("data.csv", "caf\xe9".encode("latin-1"), "the CSV file is not UTF-8 text"),
        ("empty.pdf", b"", "empty"),
        ("huge.pdf", b"%PDF-" + b"0" * MAX_BYTES, "the file is over 20 MB"),
    ],
)
def test_bad_documents_are_refused(world, tender, filename, content, reason):
    with pytest.raises(FullvalueError) as exc:
        document_add(
            actor=world["commissioner"],
            tender_id=tender.id,
            title="Spec",
            document_type="technicalSpecifications",
            filename=filename,
            content=content,
        )
    assert any(reason in p.reason for p in exc.value.problems)
    assert all(p.reason.startswith(rule_document_type_and_size.text) for p in exc.value.problems)
    assert tender.documents.count() == 0


def test_only_the_commissioner_adds_documents(world, tender):
    with pytest.raises(PermissionDenied):
        document_add(
            actor=world["women"],
            tender_id=tender.id,
            title="Spec",
            document_type="other",
            filename="a.pdf",
            content=PDF,
        )


def test_document_on_an_open_tender_is_an_amendment_and_is_published(world, tender, client, clock):
    tender_publish(actor=world["commissioner"], tender_id=tender.id, now=START)
    doc = document_add(
        actor=world["commissioner"],
        tender_id=tender.id,
        title="Service specification",
        document_type="technicalSpecifications",
        filename="../../etc/passwd spec.pdf",
        content=PDF,
    )
    assert doc.filename == "..-..-etc-passwd-spec.pdf"
    assert Amendment.objects.filter(tender=tender, summary__contains="Service specification")
    response = client.get(reverse("document-download", args=[doc.id]))
    assert response.content == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/pdf"
    package = client.get("/api/v1/ocds/releases?limit=50").json()
    assert check_release_package(package, ocid_prefix="ocds-fullvalue") == []
    docs = [d for r in package["releases"] for d in r.get("tender", {}).get("documents", [])]
    assert docs and docs[0]["documentType"] == "technicalSpecifications"


def test_draft_documents_are_not_public(world, tender, client):
    doc = document_add(
        actor=world["commissioner"],
        tender_id=tender.id,
        title="Draft spec",
        document_type="other",
        filename="a.pdf",
        content=PDF,
    )
    assert client.get(reverse("document-download", args=[doc.id])).status_code == 404
