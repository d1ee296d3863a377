"""Tendering pages: bid form with a consortium, sealing on pages, evaluation, moderation,
award and feedback, each through the browser-facing views."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

from fullvalue.web.accounts.models import Membership
from fullvalue.web.programmes.services import programme_create
from fullvalue.web.tendering.models import Award, Bid, Score
from fullvalue.web.tendering.services import panel_assign, tender_create, tender_publish
from tests.web.cycle import START, programme_data, tender_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(world):
    c = world["commissioner"]
    programme = programme_create(actor=c, data=programme_data())
    tender = tender_create(actor=c, programme_id=programme.id, data=tender_data())
    tender_publish(actor=c, tender_id=tender.id, now=START)
    return tender


def duplicate_ids(page):
    """Every id that appears more than once in a page."""
    ids = re.findall(r'\sid="([^"]+)"', page)
    return sorted({i for i in ids if ids.count(i) > 1})


def member(world, key):
    return Membership.objects.get(id=world[key].membership_id)


def bid_post(tender, price="410000", partner=None):
    data = {
        "price": price,
        "exclusion_grounds": "no",
        "conflicts": "None",
        "sv_measure_0": "Jobs for prison leavers",
        "sv_unit_0": "job",
        "sv_quantity_0": "5",
        "sv_proxy_0": "12000",
    }
    for c in tender.criteria.filter(kind="quality"):
        data[f"answer_{c.id}"] = "Our approach, co-designed with women."
    for q in tender.pass_fail.all():
        data[f"pf_{q.id}"] = "yes"
    if partner:
        data.update(
            {
                "lead_value": "70",
                "lead_work": "60",
                "partner_0": str(partner),
                "partner_role_0": "member",
                "partner_value_0": "30",
                "partner_work_0": "40",
                "working_capital": "lead",
            }
        )
    return data


def test_pages_for_the_whole_cycle(client, signed_in, world, published, clock):
    tender = published
    lot = tender.lots.first()
    assert client.get(reverse("tender-list")).status_code == 200
    assert client.get(reverse("tender-detail", args=[tender.id])).status_code == 200

    provider = signed_in(member(world, "women"))
    form = provider.get(reverse("bid-form", args=[lot.id]))
    assert form.status_code == 200
    bad = bid_post(tender, partner=world["mentors"].organisation_id)
    bad["partner_value_0"] = "130"
    response = provider.post(reverse("bid-form", args=[lot.id]), {**bad, "action": "submit"})
    assert response.status_code == 400
    assert "between 0% and 100%" in response.content.decode()
    assert "Your changes are saved as a draft" in response.content.decode()
    # Nothing typed is lost: the refused submission is kept as a draft, never submitted.
    assert list(Bid.objects.values_list("status", flat=True)) == ["draft"]
    good = {**bid_post(tender, partner=world["mentors"].organisation_id), "action": "submit"}
    response = provider.post(reverse("bid-form", args=[lot.id]), good)
    assert response.status_code == 400
    assert "has not confirmed its part" in response.content.decode()
    bid = Bid.objects.get()
    assert bid.status == "draft"
    assert sorted(bid.parties.values_list("role", flat=True)) == ["lead", "member"]
    provider.logout()

    partner = signed_in(member(world, "mentors"))
    dashboard = partner.get(reverse("dashboard")).content.decode()
    assert (
        "awaiting confirmation" in dashboard and reverse("bid-detail", args=[bid.id]) in dashboard
    )
    confirmed = partner.post(reverse("bid-detail", args=[bid.id]), {"action": "confirm"})
    assert confirmed.status_code == 302
    assert "awaiting confirmation" not in partner.get(reverse("dashboard")).content.decode()
    partner.logout()

    provider = signed_in(member(world, "women"))
    response = provider.post(reverse("bid-detail", args=[bid.id]), {"action": "submit"})
    assert response.status_code == 302, response.content.decode()[:3000]
    bid.refresh_from_db()
    assert bid.status == "submitted"
    page = provider.get(reverse("bid-detail", args=[bid.id])).content.decode()
    assert "£410,000.00" in page and "70%" in page and "Consortium member" in page
    assert "Submitted Submitted" not in page and ">member<" not in page
    provider.logout()

    commissioner = signed_in(member(world, "commissioner"))
    assert commissioner.get(reverse("bid-detail", args=[bid.id])).status_code == 403  # sealed
    assert (
        "£410,000"
        not in commissioner.get(reverse("tender-detail", args=[tender.id])).content.decode()
    )

    commissioner.logout()
    # Weeks later (sessions time out after 30 idle minutes, so sign in again).
    clock["now"] = dt.datetime(2027, 2, 11, tzinfo=dt.UTC)
    commissioner = signed_in(member(world, "commissioner"))
    closed = commissioner.post(reverse("tender-detail", args=[tender.id]), {"action": "close"})
    assert closed.status_code == 302, closed.content.decode()[
        closed.content.decode().find("govuk-error-summary") :
    ][:1500]
    panel_assign(
        actor=world["commissioner"],
        tender_id=tender.id,
        evaluator_membership_id=world["ev1"].membership_id,
    )
    waiting = commissioner.get(reverse("tender-moderation", args=[tender.id])).content.decode()
    assert f"Not yet scored by {html.escape(member(world, 'ev1').user.full_name)}." in waiting
    commissioner.logout()

    evaluator = signed_in(member(world, "ev1"))
    url = reverse("tender-evaluation", args=[tender.id])
    assert "declare any conflict" in evaluator.get(url).content.decode()
    evaluator.post(url, {"action": "declare", "has_conflict": "no"})
    quality = list(tender.criteria.filter(kind="quality"))
    missing = evaluator.post(url, {"bid": str(bid.id)})
    assert missing.status_code == 400
    scores = {"bid": str(bid.id)}
    for c in quality:
        scores[f"score_{bid.id}_{c.id}"] = "４"  # full-width digit: not a score
        scores[f"reason_{bid.id}_{c.id}"] = "Strong evidence"
    assert evaluator.post(url, scores).status_code == 400
    assert not Score.objects.filter(bid=bid).exists()
    for c in quality:
        scores[f"score_{bid.id}_{c.id}"] = "4"
    assert evaluator.post(url, scores).status_code == 302
    evaluator.logout()

    commissioner = signed_in(member(world, "commissioner"))
    mod = reverse("tender-moderation", args=[tender.id])
    moderation = commissioner.get(mod).content.decode()
    assert "Strong evidence" in moderation and "Not yet scored" not in moderation
    assert duplicate_ids(moderation) == []
    first = quality[0]
    blank = commissioner.post(mod, {"bid": str(bid.id), "criterion": str(first.id), "score": "4"})
    assert blank.status_code == 400
    # The summary links to the reason in the form that was sent, and only that form shows it.
    assert f'href="#c{bid.id}-{first.id}-reason"' in blank.content.decode()
    assert duplicate_ids(blank.content.decode()) == []
    wide = commissioner.post(
        mod, {"bid": str(bid.id), "criterion": str(first.id), "score": "４", "reason": "Agreed"}
    )
    assert wide.status_code == 400  # full-width digit refused, not read as 4
    for c in quality:
        r = commissioner.post(
            mod, {"bid": str(bid.id), "criterion": str(c.id), "score": "4", "reason": "Agreed"}
        )
        assert r.status_code == 302
    detail = commissioner.get(reverse("tender-detail", args=[tender.id])).content.decode()
    assert "Award" in detail
    detail_url = reverse("tender-detail", args=[tender.id])
    asked = commissioner.post(detail_url, {"action": "award", "lot": str(lot.id)})
    assert asked.status_code == 200 and "Are you sure" in asked.content.decode()
    assert not Award.objects.exists()  # nothing happens until the award is confirmed
    awarded = commissioner.post(detail_url, {"action": "award", "lot": str(lot.id), "sure": "yes"})
    assert awarded.status_code == 302
    in_standstill = commissioner.get(detail_url).content.decode()
    assert "Confirm award and create the contract" not in in_standstill
    standstill_ends = Award.objects.get().standstill_ends_on
    assert (
        f"You can create the contract from {standstill_ends + dt.timedelta(days=1):%-d %B %Y}"
        in (in_standstill)
    )
    letter = commissioner.get(reverse("bid-feedback", args=[bid.id]))
    assert letter.status_code == 200 and "successful" in letter.content.decode()
    pdf = commissioner.get(reverse("bid-feedback", args=[bid.id]) + "?format=pdf")
    assert pdf.content.startswith(b"%PDF")


def test_programme_pages(client, world):
    programme = programme_create(actor=world["commissioner"], data=programme_data())
    # A draft is not public.
    assert client.get(reverse("programme-detail", args=[programme.slug])).status_code == 404
    programme.status = "published"
    programme.save()
    page = client.get(reverse("programme-detail", args=[programme.slug])).content.decode()
    assert "Chance of a loss" in page and "Transformation, not transfer" in page
    chart = client.get(reverse("programme-risk-chart", args=[programme.slug]))
    assert chart["Content-Type"] == "image/svg+xml" and chart.content.startswith(b"<svg")
    assert b"Budget" in chart.content and b"+7" not in chart.content
    csv = client.get(reverse("programme-list") + "?format=csv").content.decode()
    assert programme.title in csv


def test_commissioner_adds_a_document_and_amends_the_deadline(signed_in, world, published, clock):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fullvalue.web.tendering.models import Amendment, Tender

    commissioner = signed_in(member(world, "commissioner"))
    url = reverse("tender-detail", args=[published.id])
    bad = commissioner.post(
        url,
        {
            "action": "document",
            "title": "Spec",
            "document_type": "technicalSpecifications",
            "file": SimpleUploadedFile("spec.pdf", b"not a pdf"),
        },
    )
    assert bad.status_code == 400 and "not a real .pdf file" in bad.content.decode()
    ok = commissioner.post(
        url,
        {
            "action": "document",
            "title": "Spec",
            "document_type": "technicalSpecifications",
            "file": SimpleUploadedFile("spec.pdf", b"%PDF-1.4 spec"),
        },
    )
    assert ok.status_code == 302
    assert "Spec" in commissioner.get(url).content.decode()
    earlier = commissioner.post(
        url,
        {
            "action": "amend",
            "summary": "Earlier deadline",
            "new_submission_deadline": "2027-02-05T12:00",
        },
    )
    assert earlier.status_code == 400 and "only move later" in earlier.content.decode()
    later = commissioner.post(
        url,
        {
            "action": "amend",
            "summary": "One more week",
            "new_submission_deadline": "2027-02-17T12:00",
        },
    )
    assert later.status_code == 302
    tender = Tender.objects.get(id=published.id)
    assert tender.submission_deadline.date().isoformat() == "2027-02-17"
    assert Amendment.objects.filter(tender=tender).count() == 2  # the document and the deadline


def test_a_draft_is_edited_with_rows_added_and_a_published_tender_is_not(signed_in, world):
    from fullvalue.web.tendering.models import Tender

    c = world["commissioner"]
    programme = programme_create(actor=c, data=programme_data())
    draft = tender_create(actor=c, programme_id=programme.id, data=tender_data())
    client = signed_in(member(world, "commissioner"))
    url = reverse("tender-edit", args=[draft.id])
    form = client.get(url).content.decode()
    assert _form_fields(form)["title"] == draft.title
    lots = draft.lots.count()
    assert f'id="lot_title_{lots - 1}"' in form and f'id="lot_title_{lots}"' not in form
    # "Add another lot" posts what is typed and comes back with one more row, saving nothing.
    values = _form_fields(form)
    values["title"] = "Renamed while still a draft"
    more = client.post(url, {**values, "add": "lot"})
    assert more.status_code == 200 and f'id="lot_title_{lots}"' in more.content.decode()
    assert "Renamed while still a draft" in more.content.decode()
    assert Tender.objects.get(id=draft.id).title == draft.title
    saved = client.post(url, {**values, "add": ""})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert Tender.objects.get(id=draft.id).title == "Renamed while still a draft"
    assert draft.lots.count() == lots
    tender_publish(actor=c, tender_id=draft.id, now=START)
    assert client.get(url).url == reverse("tender-detail", args=[draft.id])


def _form_fields(page):
    """The values a browser would send for a page's text inputs, selects, textareas and
    checked radios (enough for the tender form)."""
    fields = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page):
        if name != "csrfmiddlewaretoken":
            fields[name] = html.unescape(value)
    for name, value in re.findall(
        r'<input[^>]*name="([^"]+)"[^>]*type="radio"[^>]*value="([^"]*)"[^>]*checked', page
    ):
        fields[name] = value
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        fields[name] = html.unescape(body.strip())
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        fields[name] = chosen.group(1) if chosen else ""
    return fields
