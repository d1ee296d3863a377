"""Hostile uploads (issue #14, finding 1): refused by the limit they pass, before any write."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from fullvalue.web.delivery import imports
from fullvalue.web.delivery.models import ImportJob
from fullvalue.web.delivery.services import import_preview
from fullvalue.web.kernel import tables
from fullvalue.web.kernel.tables import Limits, UploadOverLimit, UploadTooLarge, read_rows
from tests.web.hostile_files import BOMB_ROW, bomb_xlsx, inline_row, xlsx_of_rows

HEADER = inline_row(1, ["case_reference", "referred_on"])


@pytest.fixture(scope="session")
def bomb(tmp_path_factory):
    """The 714 KB file of issue #14 (5,000,000 rows, 245 MB unpacked), made once."""
    path = tmp_path_factory.getbasetemp() / "bomb.xlsx"
    if not path.exists():
        path.write_bytes(bomb_xlsx())
    return path.read_bytes()


def auth(api_token, member):
    from fullvalue.web.accounts.models import Membership

    return {
        "HTTP_AUTHORIZATION": f"Bearer {api_token(Membership.objects.get(id=member.membership_id))}"
    }


def test_the_bomb_is_refused_by_its_compression_ratio_through_the_api(
    client, chain, api_token, bomb
):
    """714 KB unpacking to 245 MB (343 to 1): 413 naming ``max_ratio``, no import job kept."""
    assert len(bomb) < 800_000
    r = client.post(
        f"/api/v1/contracts/{chain['contract'].id}/imports",
        {"file": SimpleUploadedFile("bomb.xlsx", bomb)},
        **auth(api_token, chain["prime"]),
    )
    assert r.status_code == 413, r.content[:500]
    body = r.json()
    assert r["Content-Type"].startswith("application/problem+json")
    assert body["code"] == "upload-too-large" and "343 times" in body["detail"]
    assert [e.get("location") for e in body["errors"]] == ["max_ratio"]
    assert not ImportJob.objects.exists()


def test_the_bomb_is_refused_on_the_upload_page(signed_in, chain, bomb):
    from fullvalue.web.accounts.models import Membership

    client = signed_in(Membership.objects.get(id=chain["prime"].membership_id))
    r = client.post(
        f"/contracts/{chain['contract'].id}/import/",
        {"file": SimpleUploadedFile("bomb.xlsx", bomb)},
    )
    assert r.status_code == 400  # a form with errors
    page = r.content.decode()
    assert "govuk-error-summary" in page and "at most 100 times their size" in page
    assert not ImportJob.objects.exists()


def test_rows_are_counted_from_the_compressed_xml_before_any_cell_is_read(bomb, monkeypatch):
    """Past the ratio limit, the row limit stops the bomb without openpyxl being called."""
    monkeypatch.setattr(tables, "load_workbook", lambda *a, **k: pytest.fail("parsed cells"))
    loose = Limits(max_ratio=10**6, max_unpacked_bytes=10**9)
    with pytest.raises(UploadOverLimit, match="more than 500,000 rows") as caught:
        read_rows("bomb.xlsx", bomb, loose)
    assert caught.value.status == 422 and caught.value.limit == "max_rows"


def test_unpacked_size_is_checked_from_the_zip_directory():
    content = xlsx_of_rows([HEADER, *(BOMB_ROW for _ in range(20_000))], level=1)
    with pytest.raises(UploadTooLarge, match=r"unpacks to 0\.9 MB") as caught:
        read_rows("big.xlsx", content, Limits(max_unpacked_bytes=500_000, max_ratio=10**6))
    assert caught.value.limit == "max_unpacked_bytes" and caught.value.status == 413


def test_size_as_sent_is_checked_first():
    with pytest.raises(UploadTooLarge, match=r"at most 0\.0 MB") as caught:
        read_rows("p.csv", b"case_reference\nA1\n", Limits(max_bytes=4))
    assert caught.value.limit == "max_bytes"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_row_over_the_limit_is_refused_and_the_limit_itself_is_accepted(kind):
    def make(n):
        if kind == "csv":
            return ("case_reference\n" + "".join(f"A{i}\n" for i in range(n))).encode()
        return xlsx_of_rows([HEADER, *(inline_row(i + 2, [f"A{i}"]) for i in range(n))])

    limits = Limits(max_rows=100)
    assert len(read_rows(f"ok.{kind}", make(100), limits)) == 101
    with pytest.raises(UploadOverLimit, match="more than 100 rows"):
        read_rows(f"over.{kind}", make(101), limits)


def test_a_sheet_stating_more_rows_than_the_limit_is_refused_from_its_first_chunk(monkeypatch):
    rows = [HEADER, *(inline_row(i + 2, [f"A{i}"]) for i in range(50))]
    content = xlsx_of_rows(rows, dimension="A1:A1002")
    with pytest.raises(UploadOverLimit, match="more than 1,000 rows"):
        read_rows("stated.xlsx", content, Limits(max_rows=1000))
    assert (
        len(read_rows("ok.xlsx", xlsx_of_rows(rows, dimension="A1:A51"), Limits(max_rows=1000)))
        == 51
    )


def test_a_sheet_that_skips_to_row_five_million_stops_at_the_row_limit():
    """openpyxl fills skipped rows in; reading stops at the limit instead of at row 5,000,000."""
    content = xlsx_of_rows([HEADER, inline_row(5_000_000, ["A1", "2025-04-01"])])
    with pytest.raises(UploadOverLimit, match="more than 1,000 rows"):
        read_rows("sparse.xlsx", content, Limits(max_rows=1000))


@pytest.mark.parametrize(
    ("row", "refused"),
    [
        (b'<row r="2"><c r="AX2" t="inlineStr"><is><t>x</t></is></c></row>', False),
        (b'<row r="2"><c r="AY2" t="inlineStr"><is><t>x</t></is></c></row>', True),
        (b'<row r="2"><c r="XFD2"/></row>', True),
    ],
)
def test_a_cell_beyond_the_column_limit_is_refused_before_the_row_is_built(row, refused):
    content = xlsx_of_rows([HEADER, row])
    if refused:
        with pytest.raises(UploadOverLimit, match="more than 50 columns"):
            read_rows("wide.xlsx", content)
    else:
        assert read_rows("wide.xlsx", content)[1][49] == "x"


def test_a_csv_row_beyond_the_column_limit_is_refused():
    with pytest.raises(UploadOverLimit, match="more than 3 columns"):
        read_rows("wide.csv", b"a,b,c\n1,2,3,4\n", Limits(max_columns=3))
    assert read_rows("trailing.csv", b"a,b,c\n1,2,3,,\n", Limits(max_columns=3))[1][:3] == [
        "1",
        "2",
        "3",
    ]


def test_a_file_is_checked_outside_any_write_transaction(chain, monkeypatch):
    """The check opens no transaction: on SQLite a write transaction locks out every writer."""
    depth = []
    parse = imports.parse_file

    def spy(*args):
        depth.append(len(connection.atomic_blocks))
        return parse(*args)

    monkeypatch.setattr(imports, "parse_file", spy)
    outer = len(connection.atomic_blocks)  # the test's own transaction
    import_preview(
        actor=chain["prime"],
        contract_id=chain["contract"].id,
        filename="p.csv",
        content=b"case_reference,referred_on\nA1,2025-04-01\n",
    )
    assert depth == [outer] and ImportJob.objects.count() == 1
