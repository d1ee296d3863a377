"""Tender documents: checked by type (extension and file signature) and size before storing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from django.db import transaction

from fullvalue.errors import Conflict, FullvalueError, NotFound, Problem
from fullvalue.rules import Breach, rule
from fullvalue.web.audit.services import audit_record
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.tendering.models import Tender, TenderDocument
from fullvalue.web.tendering.selectors import tender_get
from fullvalue.web.tendering.services import _commissioner_tender, tender_amend

MAX_BYTES = 20 * 1024 * 1024
#: Allowed extensions, their content type, and the bytes every such file starts with.
ALLOWED = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    "csv": ("text/csv", ()),
}
DOCUMENT_TYPES = {
    "tenderNotice": "Tender notice",
    "technicalSpecifications": "Specification",
    "evaluationCriteria": "Evaluation criteria",
    "contractDraft": "Draft contract",
    "billOfQuantity": "Pricing schedule",
    "clarifications": "Clarifications",
    "other": "Other",
}


@rule
def rule_document_type_and_size(filename: str, content: bytes) -> Iterator[Breach]:
    """A document must be a PDF, Word (DOCX), spreadsheet (XLSX), OpenDocument text or CSV file (UTF-8) of at most 20 MB, and its contents must match its type."""  # noqa: E501
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ALLOWED:
        yield Breach(f"the file is a .{extension or '(none)'} file", column="file")
    elif ALLOWED[extension][1] and not content.startswith(ALLOWED[extension][1]):
        yield Breach(f"the file is not a real .{extension} file", column="file")
    elif extension == "csv":
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            yield Breach("the CSV file is not UTF-8 text", column="file")
    if not content:
        yield Breach("the file is empty", column="file")
    if len(content) > MAX_BYTES:
        yield Breach("the file is over 20 MB", column="file")


@transaction.atomic
def document_add(
    *, actor: Actor, tender_id: int, title: str, document_type: str, filename: str, content: bytes
) -> TenderDocument:
    """Attach a document to a draft or open tender (on an open tender it is an amendment)."""
    tender = _commissioner_tender(actor, tender_id, for_update=True)
    if tender.status not in (Tender.Status.DRAFT, Tender.Status.OPEN):
        raise Conflict("Documents can be added while a tender is draft or open.")
    problems = rule_document_type_and_size(filename, content)
    title = fields.Fields(problems)(fields.text, title, "title", max_length=fields.MAX_TITLE) or ""
    if not title and not any(p.column == "title" for p in problems):
        problems.append(Problem("Give the document a title", column="title"))
    if document_type not in DOCUMENT_TYPES:
        problems.append(Problem("Choose a document type", column="document_type"))
    if problems:
        raise FullvalueError.from_problems("The document cannot be added.", problems)
    extension = filename.rsplit(".", 1)[-1].lower()
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "-", filename)[-200:]
    document = TenderDocument.objects.create(
        tender=tender,
        title=title,
        document_type=document_type,
        filename=safe_name,
        content_type=ALLOWED[extension][0],
        size=len(content),
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )
    audit_record(
        actor=actor,
        action="tender.document.add",
        object_type="tender",
        object_id=tender.id,
        object_repr=tender.title,
        after={"document": document.title, "sha256": document.sha256, "size": document.size},
        organisation_id=tender.commissioner_id,
    )
    if tender.status == Tender.Status.OPEN:
        tender_amend(
            actor=actor,
            tender_id=tender.id,
            summary=f"Document added: {document.title}",
            changes={},
        )
    return document


def document_get(actor: Actor, document_id: int) -> TenderDocument:
    """A document of a published tender (or of a draft, for its commissioner)."""
    document = TenderDocument.objects.filter(id=document_id).first()
    if document is None:
        raise NotFound("No such document.")
    tender_get(actor, document.tender_id)  # raises for drafts the actor may not see
    return document
