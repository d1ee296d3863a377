"""A long programme form saved as a draft before it is complete, resumed, finished, published."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from fullvalue.errors import FullvalueError
from fullvalue.web.accounts.models import Membership
from fullvalue.web.audit.models import AuditEvent
from fullvalue.web.programmes.models import Programme, ProgrammeDraft
from fullvalue.web.programmes.services import (
    draft_problems,
    programme_draft_save,
    programme_finish,
    programme_save,
)
from tests.web.test_programme_designer import _form

pytestmark = pytest.mark.django_db


def _commissioner(signed_in, world):
    return signed_in(Membership.objects.get(id=world["commissioner"].membership_id))


# --- services ----------------------------------------------------------------------------------


def test_a_title_is_enough_for_a_draft_and_what_is_left_is_named(world):
    actor = world["commissioner"]
    draft = programme_draft_save(actor=actor, data={"title": "Women's centre", "budget": "abc"})
    assert draft.commissioner_id == actor.organisation_id and draft.form["budget"] == "abc"
    reasons = {p.column: p.reason for p in draft_problems(draft)}
    assert reasons["summary"] == "Enter the summary"
    assert reasons["budget"] == "Enter the budget in pounds, above 0"
    assert "Enter a whole number of people a year" in reasons["volume_low"]
    assert not Programme.objects.exists()
    assert AuditEvent.objects.filter(action="programme_draft.save", object_id=draft.id).exists()


def test_a_draft_still_needs_a_title_and_text_within_its_maximum(world):
    with pytest.raises(FullvalueError) as missing:
        programme_draft_save(actor=world["commissioner"], data={"summary": "Only a summary"})
    assert [(p.column, p.reason) for p in missing.value.problems] == [
        ("title", "Enter a title to save a draft")
    ]
    with pytest.raises(FullvalueError) as long:
        programme_draft_save(
            actor=world["commissioner"], data={"title": "T", "summary": "x" * 5001}
        )
    assert [p.column for p in long.value.problems] == ["summary"]
    assert not ProgrammeDraft.objects.exists()


def test_publishing_a_draft_requires_everything_then_the_draft_becomes_the_programme(world):
    actor = world["commissioner"]
    draft = programme_draft_save(actor=actor, data={"title": "Women's centre"})
    with pytest.raises(FullvalueError) as refused:
        programme_finish(actor=actor, draft_id=draft.id, publish=True)
    columns = {p.column for p in refused.value.problems}
    assert {"summary", "cohort", "budget", "volume_expected", "outcomes"} <= columns
    assert not Programme.objects.exists() and ProgrammeDraft.objects.filter(id=draft.id).exists()

    resumed = programme_draft_save(actor=actor, data=_form(), draft_id=draft.id)
    assert resumed.id == draft.id and draft_problems(resumed) == []
    programme = programme_finish(actor=actor, draft_id=draft.id, publish=True)
    assert programme.status == Programme.Status.PUBLISHED
    assert programme.budget == Decimal(600000) and programme.title == "Women's centre"
    assert not ProgrammeDraft.objects.exists()


def test_save_keeps_an_incomplete_form_as_a_draft_and_a_complete_one_as_a_programme(world):
    actor = world["commissioner"]
    kept = programme_save(actor=actor, data=_form(budget=""))
    assert isinstance(kept, ProgrammeDraft) and not Programme.objects.exists()
    made = programme_save(actor=actor, data=_form(), draft_id=kept.id)
    assert isinstance(made, Programme) and made.status == Programme.Status.DRAFT
    assert not ProgrammeDraft.objects.exists()


def test_unfinished_changes_to_a_draft_programme_leave_it_as_it_was(world):
    actor = world["commissioner"]
    programme = programme_save(actor=actor, data=_form())
    assert isinstance(programme, Programme)
    draft = programme_save(
        actor=actor, data=_form(budget="", title="Renamed"), programme_id=programme.id
    )
    assert isinstance(draft, ProgrammeDraft) and draft.programme_id == programme.id
    programme.refresh_from_db()
    assert programme.title == "Women's centre" and programme.budget == Decimal(600000)
    finished = programme_finish(
        actor=actor, data=_form(budget="650000", title="Renamed"), draft_id=draft.id
    )
    assert finished.id == programme.id and finished.budget == Decimal(650000)
    assert finished.title == "Renamed" and not ProgrammeDraft.objects.exists()


def test_only_the_commissioning_organisation_resumes_its_drafts(world):
    draft = programme_draft_save(actor=world["commissioner"], data={"title": "Mine"})
    with pytest.raises(FullvalueError):
        programme_draft_save(actor=world["women"], data={"title": "Theirs"}, draft_id=draft.id)
    with pytest.raises(FullvalueError):
        programme_finish(actor=world["ev1"], draft_id=draft.id, publish=True)
    draft.refresh_from_db()
    assert draft.title == "Mine"


# --- pages -------------------------------------------------------------------------------------


def test_save_a_draft_midway_resume_it_and_publish(signed_in, world):
    client = _commissioner(signed_in, world)
    saved = client.post(
        reverse("programme-create"), {"title": "Women's centre", "action": "save", "years": "3"}
    )
    draft = ProgrammeDraft.objects.get()
    url = reverse("programme-draft", args=[draft.id])
    assert saved.status_code == 302 and saved["Location"] == url
    page = client.get(url).content.decode()
    assert "has been saved as a draft" in page and "to finish before it can be published" in page
    assert 'id="to-finish"' in page and 'href="#budget"' in page
    assert "Enter the budget in pounds, above 0" in page and 'value="Women&#39;s centre"' in page
    listing = client.get(reverse("programme-list")).content.decode()
    assert f'href="{url}"' in listing and "Continue Women&#39;s centre" in listing

    refused = client.post(url, {"title": "Women's centre", "action": "publish"})
    text = refused.content.decode()
    assert refused.status_code == 400 and "There is a problem" in text
    assert 'href="#summary"' in text and "Enter the summary" in text
    assert not Programme.objects.exists()

    published = client.post(url, _form(action="publish"))
    programme = Programme.objects.get()
    assert published.status_code == 302 and programme.status == Programme.Status.PUBLISHED
    assert not ProgrammeDraft.objects.exists()


def test_editing_a_draft_programme_resumes_its_unfinished_changes(signed_in, world):
    client = _commissioner(signed_in, world)
    client.post(reverse("programme-create"), _form(action="save"))
    programme = Programme.objects.get()
    edit = reverse("programme-edit", args=[programme.slug])
    client.post(edit, _form(action="save", budget=""))
    draft = ProgrammeDraft.objects.get(programme=programme)
    detail = client.get(reverse("programme-detail", args=[programme.slug])).content.decode()
    assert 'id="unfinished-changes"' in detail
    assert f'href="{reverse("programme-draft", args=[draft.id])}"' in detail
    resumed = client.get(edit)
    assert resumed.status_code == 302
    assert resumed["Location"] == reverse("programme-draft", args=[draft.id])
    discarded = client.post(resumed["Location"], {"action": "discard"})
    assert discarded.status_code == 302 and not ProgrammeDraft.objects.exists()
    programme.refresh_from_db()
    assert programme.budget == Decimal(600000)


# --- API ---------------------------------------------------------------------------------------


def test_api_drafts_save_incomplete_then_publish(client, world, api_token):
    membership = Membership.objects.get(id=world["commissioner"].membership_id)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token(membership)}"}

    def call(method, url, body=None):
        return getattr(client, method)(url, body, content_type="application/json", **auth)

    r = call("post", "/api/v1/programme-drafts", {"title": "Women's centre", "years": 3})
    assert r.status_code == 201, r.json()
    draft = r.json()
    assert draft["complete"] is False and draft["programme_id"] is None
    assert {"field": "budget", "reason": "Enter the budget in pounds, above 0"} in draft[
        "to_finish"
    ]
    refused = call("post", f"/api/v1/programme-drafts/{draft['id']}/publish")
    assert refused.status_code == 422 and "Enter the summary" in str(refused.json()["errors"])

    full = {
        "title": "Women's centre",
        "summary": "A women's centre.",
        "cohort": "Women on licence",
        "volume_low": 60,
        "volume_expected": 80,
        "volume_high": 100,
        "budget": "600000",
        "years": 3,
        "starts_on": "2027-04-01",
        "outcomes": ["proven-reoffending-binary"],
        "design": {"starting_point": "blended", "reoffending_price": 2000},
    }
    r = call("put", f"/api/v1/programme-drafts/{draft['id']}", full)
    assert r.status_code == 200 and r.json()["complete"] is True, r.json()["to_finish"]
    listed = call("get", "/api/v1/programme-drafts").json()["items"]
    assert [d["id"] for d in listed] == [draft["id"]]
    r = call("post", f"/api/v1/programme-drafts/{draft['id']}/publish")
    assert r.status_code == 201 and r.json()["status"] == "published", r.json()
    assert call("get", f"/api/v1/programme-drafts/{draft['id']}").status_code == 404
    programme = Programme.objects.get(id=r.json()["id"])
    assert programme.mechanism_design is not None and programme.budget == Decimal(600000)
