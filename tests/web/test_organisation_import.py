"""Importing organisations: preview, row-level errors, all-or-nothing or valid rows only."""

import io

import pytest
from openpyxl import Workbook

from fullvalue.domain.roles import Role
from fullvalue.errors import Conflict, FullvalueError, PermissionDenied
from fullvalue.web.audit.models import AuditEvent
from fullvalue.web.organisations.imports import (
    organisation_import_commit,
    organisation_import_preview,
    read_table,
)
from fullvalue.web.organisations.models import Organisation

pytestmark = pytest.mark.django_db

HEADER = "name,legal_form,sector,identifiers,annual_income,regions,led_by_women\n"
GOOD = (
    "Harbour Lights Trust,registered_charity,voluntary,GB-CHC-1092948,85000,North West,yes\n"
    "Pathways CIC,cic,voluntary,GB-COH-12345678,12000,London,no\n"
)
BAD = (
    "Broken Row,registered_charity,voluntary,GB-CHC-12,lots,Atlantis,maybe\n"
    "Twin,registered_charity,voluntary,GB-CHC-1092948,1,,\n"
)


@pytest.fixture
def commissioner(make_member, actor_for):
    return actor_for(make_member(Role.COMMISSIONER, legal_form="public_body", sector="public"))


def test_valid_file_previews_then_imports(commissioner):
    batch, preview = organisation_import_preview(
        actor=commissioner, filename="orgs.csv", content=(HEADER + GOOD).encode()
    )
    assert preview.counts == {"create": 2, "update": 0, "unchanged": 0, "error": 0}
    assert not Organisation.objects.filter(name="Pathways CIC").exists()  # preview writes nothing
    counts = organisation_import_commit(
        actor=commissioner, batch_id=batch.id, valid_rows_only=False
    )
    assert counts["create"] == 2
    org = Organisation.objects.get(name="Harbour Lights Trust")
    assert org.led_by_women and org.areas.get().code == "E12000002"
    assert AuditEvent.objects.filter(action="organisation.import.create").count() == 2


def test_errors_name_row_column_and_reason(commissioner):
    _, preview = organisation_import_preview(
        actor=commissioner, filename="orgs.csv", content=(HEADER + GOOD + BAD).encode()
    )
    by_row = {}
    for p in preview.problems:
        by_row.setdefault(p.row, set()).add(p.column)
    assert by_row[4] == {"identifiers", "annual_income", "regions", "led_by_women"}
    assert by_row[5] == {"identifiers"}
    twin = next(p for p in preview.problems if p.row == 5)
    assert "also appears in row 2" in twin.reason
    assert twin.location == "orgs.csv row 5, column identifiers"


def test_file_with_errors_writes_nothing_unless_valid_rows_chosen(commissioner):
    batch, _ = organisation_import_preview(
        actor=commissioner, filename="orgs.csv", content=(HEADER + GOOD + BAD).encode()
    )
    before = Organisation.objects.count()
    with pytest.raises(FullvalueError) as exc:
        organisation_import_commit(actor=commissioner, batch_id=batch.id, valid_rows_only=False)
    assert "nothing was imported" in exc.value.message
    assert len(exc.value.problems) == 5
    assert Organisation.objects.count() == before
    counts = organisation_import_commit(actor=commissioner, batch_id=batch.id, valid_rows_only=True)
    assert counts == {"create": 2, "update": 0, "unchanged": 0, "error": 2}
    assert Organisation.objects.count() == before + 2
    with pytest.raises(Conflict):
        organisation_import_commit(actor=commissioner, batch_id=batch.id, valid_rows_only=True)


def test_reimporting_the_same_file_creates_nothing(commissioner):
    content = (HEADER + GOOD).encode()
    batch, _ = organisation_import_preview(actor=commissioner, filename="a.csv", content=content)
    organisation_import_commit(actor=commissioner, batch_id=batch.id, valid_rows_only=False)
    count = Organisation.objects.count()
    batch2, preview = organisation_import_preview(
        actor=commissioner, filename="a.csv", content=content
    )
    assert preview.counts == {"create": 0, "update": 0, "unchanged": 2, "error": 0}
    organisation_import_commit(actor=commissioner, batch_id=batch2.id, valid_rows_only=False)
    assert Organisation.objects.count() == count


def test_xlsx_is_read_like_csv(commissioner):
    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "Legal form", "Sector", "Identifiers", "Annual income"])
    sheet.append(
        [
            "Spreadsheet Trust",
            "Registered charity",
            "Voluntary and community",
            "GB-CHC-1111111",
            50000,
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    batch, preview = organisation_import_preview(
        actor=commissioner, filename="orgs.xlsx", content=buffer.getvalue()
    )
    assert preview.counts["create"] == 1, preview.problems
    organisation_import_commit(actor=commissioner, batch_id=batch.id, valid_rows_only=False)
    assert Organisation.objects.get(name="Spreadsheet Trust").annual_income == 50000


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("empty.csv", b"", "is empty"),
        ("blank.csv", b"\n\n", "has no rows"),
        ("latin.csv", "name\nCaf\xe9".encode("latin-1"), "not UTF-8"),
        ("orgs.pdf", b"%PDF-1.4", "not a CSV or XLSX"),
        ("corrupt.xlsx", b"PK\x03\x04 not really a zip", "could not be read"),
    ],
)
def test_unreadable_files_are_refused_clearly(commissioner, filename, content, message):
    with pytest.raises(FullvalueError, match=message):
        read_table(filename, content)


def test_misspelt_and_missing_columns_are_named():
    with pytest.raises(FullvalueError) as exc:
        read_table("orgs.csv", b"nmae,legal_form,sector\nX,cic,voluntary\n")
    reasons = [p.reason for p in exc.value.problems]
    assert "required column 'name' is missing" in reasons
    assert any("did you mean 'name'" in r for r in reasons)


def test_formula_and_script_strings_are_kept_as_text(commissioner):
    row = '"=HYPERLINK(""http://evil"")",cic,voluntary,,,,\n'
    batch, _ = organisation_import_preview(
        actor=commissioner, filename="x.csv", content=(HEADER + row).encode()
    )
    organisation_import_commit(actor=commissioner, batch_id=batch.id, valid_rows_only=False)
    assert Organisation.objects.filter(name='=HYPERLINK("http://evil")').exists()


def test_providers_cannot_import(make_member, actor_for):
    with pytest.raises(PermissionDenied):
        organisation_import_preview(
            actor=actor_for(make_member(Role.PROVIDER_ADMIN)),
            filename="a.csv",
            content=(HEADER + GOOD).encode(),
        )


def test_row_without_identifier_matching_a_name_is_refused_not_duplicated(commissioner):
    content = b"name,legal_form,sector\nCommunity Kitchen,cic,voluntary\n"
    batch, _preview = organisation_import_preview(
        actor=commissioner, filename="a.csv", content=content
    )
    organisation_import_commit(actor=commissioner, batch_id=batch.id, valid_rows_only=False)
    _, again = organisation_import_preview(actor=commissioner, filename="a.csv", content=content)
    assert again.counts["error"] == 1
    assert "already exists" in again.problems[0].reason
    assert Organisation.objects.filter(name="Community Kitchen").count() == 1


def test_row_numbers_match_the_spreadsheet_when_it_has_blank_rows(commissioner):
    """A blank row 3 is skipped, and the bad row after it is still called row 4."""
    content = (HEADER + GOOD.splitlines()[0] + "\n,,,,,,\n" + BAD.splitlines()[0] + "\n").encode()
    _, preview = organisation_import_preview(
        actor=commissioner, filename="gaps.csv", content=content
    )
    assert {p.row for p in preview.problems} == {4}
    assert preview.counts["create"] == 1


def test_a_semicolon_separated_file_is_read_like_a_comma_separated_one(commissioner):
    semicolons = (HEADER + GOOD).replace(",", ";").replace("North West", "North West")
    _, preview = organisation_import_preview(
        actor=commissioner, filename="orgs.csv", content=semicolons.encode()
    )
    assert preview.problems == []
    assert preview.counts == {"create": 2, "update": 0, "unchanged": 0, "error": 0}


def test_a_bad_category_lists_the_allowed_values(commissioner):
    row = "Odd One,charity-ish,voluntry,,,Nort West,\n"
    _, preview = organisation_import_preview(
        actor=commissioner, filename="orgs.csv", content=(HEADER + row).encode()
    )
    reasons = {p.column: p.reason for p in preview.problems}
    assert "use one of: Registered charity" in reasons["legal_form"]
    assert "Charitable incorporated organisation (CIO)" in reasons["legal_form"]
    assert "use one of:" in reasons["sector"] and "Voluntary and community" in reasons["sector"]
    assert "did you mean North West" in reasons["regions"]


def test_the_template_downloads_and_imports_as_it_is(commissioner, signed_in, make_member):
    from django.urls import reverse

    client = signed_in(make_member(Role.COMMISSIONER, legal_form="public_body", sector="public"))
    template = client.get(reverse("organisation-import") + "?template=csv")
    assert template["Content-Type"].startswith("text/csv")
    _, preview = organisation_import_preview(
        actor=commissioner, filename="template.csv", content=template.content
    )
    assert preview.problems == [] and preview.counts["create"] == 1
