"""Report once, finished in the demo world in a real browser (issue 16).

The demo provider checks its code mapping, reviews the HMPPS quarter that is due (with the
records behind a figure one click away) and submits it; the demo commissioner sees it arrive and
publishes a framework of its own from the plain form. axe-core and the duplicate-id check run on
every page; screenshots at 1280 px and 390 px are kept under ``var/browser-artefacts/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from fullvalue.web.delivery.models import Participant
from fullvalue.web.reporting.models import Framework, Submission
from tests.browser.test_demo_journeys import DOMAIN, demo, shots, sign_in, sign_out  # noqa: F401
from tests.browser.test_journeys import go


def run_record_import_now() -> None:
    from fullvalue.web.reporting.imports import record_import_run
    from fullvalue.web.reporting.models import RecordImport

    for job in RecordImport.objects.exclude(status=RecordImport.Status.DONE):
        record_import_run(job.id)


pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_provider_submits_a_return_and_the_commissioner_sees_it_arrive(page, axe, demo, tmp_path):  # noqa: F811
    before = Submission.objects.count()
    sign_in(page, axe, f"provider@{DOMAIN}")
    go(page, page.get_by_role("link", name="Your returns"))
    expect(page.get_by_role("heading", name="Report once", level=1)).to_be_visible()
    expect(page.get_by_text(re.compile(r"4 funders, [\d,]+ figures asked"))).to_be_visible()
    axe.check()
    shots(page, "report-once")
    go(page, page.get_by_role("link", name="Your outcome codes and what they count as"))
    axe.check()
    expect(page.get_by_label("Your code “settled accommodation” counts as")).to_have_value(
        "accommodation.settled"
    )
    go(page, page.get_by_role("button", name="Save the mappings"))
    # Records from a spreadsheet: one bad row is named, then the right rows are imported.
    go(page, page.get_by_role("link", name="Import records from a spreadsheet"))
    axe.check()
    pseudonym = (
        Participant.objects.filter(provider__name="Moss Side Women's Centre").first().pseudonym
    )
    sheet = tmp_path / "records.csv"
    sheet.write_text(
        "participant,date,code,value\n"
        f"{pseudonym},2026-10-05,Started paid work,\n"
        f"{pseudonym},2026-10-06,star.work,12\n"
    )
    page.get_by_label("Records file (CSV or Excel)").set_input_files(str(sheet))
    go(page, page.get_by_role("button", name="Import the records"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("row 3, column value")
    axe.check()
    page.get_by_label("Records file (CSV or Excel)").set_input_files(str(sheet))
    page.get_by_label("If some rows have problems, import the rows that are right").check()
    go(page, page.get_by_role("button", name="Import the records"))
    expect(page.get_by_text("0 of 1 records written")).to_be_visible()
    axe.check()
    run_record_import_now()  # what the task worker does
    go(page, page.get_by_role("link", name="Check progress"))
    expect(page.get_by_text("Records imported")).to_be_visible()
    expect(page.get_by_text("1 added")).to_be_visible()
    axe.check()
    go(page, page.get_by_role("link", name="Back to report once"))
    # An off-platform funder's return, downloaded in its own layout.
    lottery = page.locator("table", has_text="Returns for Stronger families")
    go(page, lottery.get_by_role("link", name=re.compile("Review and submit")).first)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").nth(1).click()
    laid_out = Path(download.value.path()).read_text()
    assert laid_out.splitlines()[0].startswith('Organisation,Period start,Period end,"People with')
    go(page, page.get_by_role("link", name="Back to your returns"))
    section = page.locator("table", has_text="Returns for Women's services: quarterly monitoring")
    go(page, section.get_by_role("link", name=re.compile("Review and submit")).first)
    axe.check()
    shots(page, "return-review")
    go(page, page.get_by_role("link", name=re.compile("records behind “Average change")))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Average change")
    axe.check()
    go(page, page.get_by_role("link", name="Back to the return"))
    go(page, page.get_by_role("button", name="Submit this return"))
    expect(page.get_by_text("Return submitted")).to_be_visible()
    expect(page.locator(".govuk-inset-text")).to_contain_text("is locked")
    axe.check()
    assert Submission.objects.count() == before + 1
    sign_out(page)

    sign_in(page, axe, f"commissioner@{DOMAIN}")
    go(page, page.get_by_role("link", name="Returns received"))
    axe.check()
    shots(page, "returns-received")
    expect(page.locator("tbody tr")).to_have_count(before - 3 + 1)  # HMPPS's, not the PCC's
    go(page, page.get_by_role("link", name="Publish a monitoring framework"))
    axe.check()
    page.get_by_label("Name of the return").fill("Resettlement outcomes")
    page.get_by_label("Every year").check()
    page.get_by_label("What the figure is called").first.fill("People into work")
    page.get_by_label("What is counted").first.select_option("participants")
    page.get_by_label("Outcome it counts").first.select_option("ete.job_start")
    go(page, page.get_by_role("button", name="Publish the framework"))
    expect(page.get_by_text("“Resettlement outcomes” is published")).to_be_visible()
    assert Framework.objects.filter(slug="resettlement-outcomes", is_published=True).exists()
