"""Bids for a small organisation: drafts, resubmission, partners confirming, partner messages.

Services first (what may happen and who may see what), then the pages a provider uses.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from django.urls import reverse

from fullvalue.domain.roles import Role
from fullvalue.errors import Conflict, FullvalueError, NotFound, PermissionDenied
from fullvalue.web.accounts.models import Membership
from fullvalue.web.audit.models import AuditEvent
from fullvalue.web.programmes.services import programme_create
from fullvalue.web.tendering import partnering, selectors
from fullvalue.web.tendering.models import Bid, PartnerMessage
from fullvalue.web.tendering.services import (
    bid_draft_save,
    bid_party_confirm,
    bid_submit,
    bid_submit_draft,
    bid_withdraw,
    partner_interest_create,
    tender_close,
    tender_create,
    tender_publish,
)
from tests.web.cycle import START, contents, programme_data, tender_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def tender(world):
    c = world["commissioner"]
    programme = programme_create(actor=c, data=programme_data())
    tender = tender_create(actor=c, programme_id=programme.id, data=tender_data())
    return tender_publish(actor=c, tender_id=tender.id, now=START)


@pytest.fixture
def team(world, make_member, actor_for):
    """The small charity's team: its administrator (``mentors``) and a member of staff."""
    org = Membership.objects.get(id=world["mentors"].membership_id).organisation
    staff = make_member(Role.PROVIDER_STAFF, organisation=org)
    return {"admin": world["mentors"], "staff": actor_for(staff), "staff_membership": staff}


def consortium(lead_id, partner_id, role="subcontractor", partner_value="0.1"):
    lead_value = str(1 - float(partner_value))
    return [
        {
            "organisation_id": lead_id,
            "role": "lead",
            "share_of_value": lead_value,
            "share_of_work": "0.85",
            "carries_working_capital": True,
        },
        {
            "organisation_id": partner_id,
            "role": role,
            "share_of_value": partner_value,
            "share_of_work": "0.15",
        },
    ]


def small_lot(tender):
    return tender.lots.get(reserved_for_small=True)


def test_staff_drafts_administrator_submits_after_the_partner_confirms(world, team, tender):
    lot = small_lot(tender)
    lead = team["admin"].organisation_id
    partner = world["women"]
    parties = consortium(lead, partner.organisation_id)
    # Staff prepare the bid, unfinished: a draft needs nothing filled in.
    draft = bid_draft_save(
        actor=team["staff"], lot_id=lot.id, contents={"price": "290000"}, parties=parties
    )
    assert draft.status == Bid.Status.DRAFT and draft.submitted_at is None
    assert b"290000" not in bytes(draft.draft)  # encrypted at rest, like a submitted bid
    # Staff cannot submit, in one step or from the draft; the reason says who can.
    with pytest.raises(PermissionDenied, match="administrator"):
        bid_submit_draft(actor=team["staff"], bid_id=draft.id)
    with pytest.raises(PermissionDenied, match="administrator"):
        bid_submit(actor=team["staff"], lot_id=lot.id, contents=contents(tender, "1", 1))
    # Resume where it was left: the same bid, completed by the administrator.
    again = bid_draft_save(
        actor=team["admin"],
        lot_id=lot.id,
        contents=contents(tender, "290000", 3),
        parties=parties,
    )
    assert again.id == draft.id and Bid.objects.count() == 1
    # The named sub-contractor has not confirmed: the rule names it and says how.
    with pytest.raises(FullvalueError) as exc:
        bid_submit_draft(actor=team["admin"], bid_id=draft.id)
    [problem] = exc.value.problems
    assert problem.reason.startswith(f"{partner.organisation_name} has not confirmed its part")
    assert "sub-contractor with 10% of the value and 15% of the work" in problem.reason
    # The partner sees it awaiting, confirms; staff of the partner cannot confirm for it.
    assert [p.bid_id for p in selectors.parts_awaiting_confirmation(partner)] == [draft.id]
    with pytest.raises(PermissionDenied):
        bid_party_confirm(actor=team["staff"], bid_id=draft.id)  # not a named partner
    bid_party_confirm(actor=partner, bid_id=draft.id)
    assert selectors.parts_awaiting_confirmation(partner) == []
    bid = bid_submit_draft(actor=team["admin"], bid_id=draft.id)
    assert bid.status == Bid.Status.SUBMITTED and bid.draft is None
    assert selectors.bid_contents(team["admin"], bid)["price"] == "290000.00"
    assert AuditEvent.objects.filter(action="bid.confirm_part").count() == 1
    assert not AuditEvent.objects.filter(changes__icontains="290000").exists()


def test_a_changed_part_must_be_confirmed_again(world, team, tender):
    lot = small_lot(tender)
    lead, partner = team["admin"].organisation_id, world["women"]
    bid = bid_draft_save(
        actor=team["admin"],
        lot_id=lot.id,
        contents=contents(tender, "290000", 3),
        parties=consortium(lead, partner.organisation_id),
    )
    bid_party_confirm(actor=partner, bid_id=bid.id)
    # Same terms saved again: the confirmation holds.
    bid_draft_save(
        actor=team["staff"],
        lot_id=lot.id,
        contents=contents(tender, "280000", 3),
        parties=consortium(lead, partner.organisation_id),
    )
    assert selectors.party_confirmations(Bid.objects.get(id=bid.id)) == {
        partner.organisation_id: True
    }
    # The lead halves the partner's share of the value: it is asked again.
    bid_draft_save(
        actor=team["staff"],
        lot_id=lot.id,
        contents=contents(tender, "280000", 3),
        parties=consortium(lead, partner.organisation_id, partner_value="0.05"),
    )
    assert selectors.party_confirmations(Bid.objects.get(id=bid.id)) == {
        partner.organisation_id: False
    }
    assert len(selectors.parts_awaiting_confirmation(partner)) == 1
    with pytest.raises(FullvalueError, match="correcting"):
        bid_submit_draft(actor=team["admin"], bid_id=bid.id)


def test_resubmission_replaces_the_sealed_version_only_when_submitted(world, team, tender, clock):
    lot = small_lot(tender)
    admin = team["admin"]
    first = bid_submit(actor=admin, lot_id=lot.id, contents=contents(tender, "300000", 2))
    # Edited after submission: the draft holds the change; the sealed version is unchanged.
    edited = bid_draft_save(
        actor=team["staff"], lot_id=lot.id, contents=contents(tender, "250000", 2)
    )
    assert edited.id == first.id and edited.status == Bid.Status.SUBMITTED
    assert selectors.bid_contents(admin, edited)["price"] == "250000"  # the team reads its draft
    assert selectors.submitted_contents(admin, edited)["price"] == "300000.00"
    # The deadline passes with the change unsubmitted: the commissioner reads what was submitted.
    clock["now"] = dt.datetime(2027, 2, 10, 12, 0, 1, tzinfo=dt.UTC)
    tender_close(actor=world["commissioner"], tender_id=tender.id)
    bid = selectors.bid_get(world["commissioner"], first.id)
    assert selectors.bid_contents(world["commissioner"], bid)["price"] == "300000.00"
    with pytest.raises(Conflict, match="deadline"):
        bid_submit_draft(actor=admin, bid_id=bid.id)


def test_the_last_submitted_version_is_sealed(world, team, tender, clock):
    lot = small_lot(tender)
    admin = team["admin"]
    bid = bid_submit(actor=admin, lot_id=lot.id, contents=contents(tender, "300000", 2))
    bid_draft_save(actor=admin, lot_id=lot.id, contents=contents(tender, "260000", 2))
    bid = bid_submit_draft(actor=admin, bid_id=bid.id)
    # Withdrawn, then submitted again unchanged (no draft needed).
    bid_withdraw(actor=admin, bid_id=bid.id)
    bid = bid_submit_draft(actor=admin, bid_id=bid.id)
    assert bid.status == Bid.Status.SUBMITTED and bid.withdrawn_at is None
    with pytest.raises(Conflict, match="Nothing to submit"):
        bid_submit_draft(actor=admin, bid_id=bid.id)
    assert Bid.objects.filter(lot=lot).count() == 1
    clock["now"] = dt.datetime(2027, 2, 10, 12, 0, 1, tzinfo=dt.UTC)
    [seen] = selectors.bids_for_lot(world["commissioner"], lot)
    assert selectors.bid_contents(world["commissioner"], seen)["price"] == "260000.00"


def test_no_one_else_reads_a_draft(world, team, tender, make_member, actor_for, clock):
    lot = small_lot(tender)
    partner = world["women"]
    draft = bid_draft_save(
        actor=team["staff"],
        lot_id=lot.id,
        contents=contents(tender, "290000", 3),
        parties=consortium(team["admin"].organisation_id, partner.organisation_id),
    )
    partner_staff = actor_for(
        make_member(
            Role.PROVIDER_STAFF,
            organisation=Membership.objects.get(id=partner.membership_id).organisation,
        )
    )
    for reader in (team["admin"], team["staff"], partner, partner_staff):
        assert selectors.bid_contents(reader, selectors.bid_get(reader, draft.id))["price"]
    outsiders = ("commissioner", "ev1", "prime")
    for key in outsiders:
        with pytest.raises(PermissionDenied):
            selectors.bid_get(world[key], draft.id)
        assert selectors.bids_for_lot(world[key], lot) == []
    # After the deadline a never-submitted draft stays with its parties.
    clock["now"] = dt.datetime(2027, 2, 10, 12, 0, 1, tzinfo=dt.UTC)
    for key in outsiders:
        with pytest.raises(PermissionDenied):
            selectors.bid_get(world[key], draft.id)
    assert selectors.bids_for_lot(world["commissioner"], lot) == []


def test_blockers_are_known_before_the_form(world, team, tender):
    small, big = small_lot(tender), tender.lots.get(reserved_for_small=False)
    assert selectors.bid_blockers(team["admin"], small) == []
    [reason] = selectors.bid_blockers(team["staff"], small)
    assert reason.startswith("Only an administrator of your organisation can submit")
    [reason] = selectors.bid_blockers(world["prime"], small)  # income £64m
    assert "reserved for organisations with an income under £1 million" in reason
    assert selectors.bid_blockers(world["prime"], big) == []
    assert selectors.bid_blockers(world["commissioner"], big)[0].startswith("Only providers")


def test_partner_messages_reach_administrators_who_choose_to_share(
    world, team, tender, mailoutbox, make_member, actor_for
):
    lot = tender.lots.get(reserved_for_small=False)
    entry = partner_interest_create(
        actor=world["women"], lot_id=lot.id, role_sought="subcontractor", offer="Family support"
    )
    with pytest.raises(FullvalueError, match="correcting"):
        partnering.partner_message_send(
            actor=team["staff"], recipient_id=entry.organisation_id, body=" "
        )
    message = partnering.partner_message_send(
        actor=team["staff"],
        recipient_id=entry.organisation_id,
        lot_id=lot.id,
        body="Would you sub-contract family support on our bid?",
    )
    from fullvalue.web.tendering.tasks import notify_partner_message, notify_partner_reply

    women_org = Membership.objects.get(id=world["women"].membership_id).organisation
    make_member(Role.PROVIDER_STAFF, organisation=women_org)  # staff are not emailed
    assert notify_partner_message.call(message.id) == 1
    assert mailoutbox[-1].to == [world["women"].email]
    assert "Would you sub-contract" in mailoutbox[-1].body
    # The sender sees no contact details before the reply; other organisations see nothing.
    assert partnering.partner_message_get(team["staff"], message.id).contact_shared == ""
    with pytest.raises(NotFound):
        partnering.partner_message_get(world["prime"], message.id)
    assert partnering.unanswered_count(world["women"]) == 1
    with pytest.raises(PermissionDenied):
        partnering.partner_message_reply(
            actor=team["staff"], message_id=message.id, reply="x", share_contact=True
        )
    replied = partnering.partner_message_reply(
        actor=world["women"], message_id=message.id, reply="Yes, gladly.", share_contact=True
    )
    assert world["women"].email in replied.contact_shared
    assert partnering.unanswered_count(world["women"]) == 0
    assert notify_partner_reply.call(message.id) == 1
    assert mailoutbox[-1].to == [team["staff"].email]
    assert world["women"].email in mailoutbox[-1].body
    # Declining to share: the reply arrives without contact details.
    second = partnering.partner_message_send(
        actor=team["admin"], recipient_id=entry.organisation_id, body="And for lot 2?"
    )
    partnering.partner_message_reply(
        actor=world["women"], message_id=second.id, reply="Not this time.", share_contact=False
    )
    assert PartnerMessage.objects.get(id=second.id).contact_shared == ""


# Pages ---------------------------------------------------------------------------------------


def ids_unique(html: str) -> None:
    duplicated = [i for i, n in Counter(re.findall(r'\sid="([^"]+)"', html)).items() if n > 1]
    assert not duplicated, f"ids used more than once: {duplicated}"


def test_staff_see_the_bid_link_and_the_reason_before_the_form(signed_in, world, team, tender):
    lot = small_lot(tender)
    client = signed_in(team["staff_membership"])
    page = client.get(reverse("tender-detail", args=[tender.id])).content.decode()
    ids_unique(page)
    assert reverse("bid-form", args=[lot.id]) in page
    assert "Only an administrator of your organisation can submit" in page
    form = client.get(reverse("bid-form", args=[lot.id])).content.decode()
    ids_unique(form)
    assert "Only an administrator of your organisation can submit" in form
    assert 'value="submit"' not in form and "Save as draft" in form
    ids_unique(client.get(reverse("dashboard")).content.decode())
    for words in ("National TOMs", "proxy value", "share of the value", "working capital"):
        assert words in form
    saved = client.post(
        reverse("bid-form", args=[lot.id]),
        {"price": "290000", "sv_measure_0": "Mentoring hours", "action": "save"},
    )
    assert saved.status_code == 302
    bid = Bid.objects.get()
    # Resume where it was left: the form opens with what was typed.
    again = client.get(reverse("bid-form", args=[lot.id])).content.decode()
    assert 'value="290000"' in again and 'value="Mentoring hours"' in again
    detail = client.get(reverse("bid-detail", args=[bid.id])).content.decode()
    ids_unique(detail)
    assert "Draft" in detail and "Only an administrator" in detail


def test_resubmit_opens_the_form_filled_in(signed_in, world, team, tender):
    lot = small_lot(tender)
    parties = consortium(team["admin"].organisation_id, world["women"].organisation_id)
    bid = bid_draft_save(
        actor=team["admin"], lot_id=lot.id, contents=contents(tender, "290000", 3), parties=parties
    )
    bid_party_confirm(actor=world["women"], bid_id=bid.id)
    bid_submit_draft(actor=team["admin"], bid_id=bid.id)
    client = signed_in(Membership.objects.get(id=team["admin"].membership_id))
    form = client.get(reverse("bid-form", args=[lot.id])).content.decode()
    ids_unique(form)
    assert 'value="290000.00"' in form
    assert 'name="lead_value" type="text" value="90"' in form or 'value="90"' in form
    assert 'value="10"' in form and 'value="15"' in form  # the partner's shares, in percent
    assert "We will." in form
    selected = re.search(r'<option value="(\d+)" selected', form)
    assert selected and int(selected.group(1)) == world["women"].organisation_id
    assert 'value="subcontractor" checked' in form


def test_partner_finder_pages_send_and_reply(signed_in, world, team, tender, mailoutbox):
    lot = tender.lots.get(reserved_for_small=False)
    entry = partner_interest_create(
        actor=world["women"], lot_id=lot.id, role_sought="member", offer="A women's centre"
    )
    client = signed_in(team["staff_membership"])
    finder = client.get(reverse("partner-finder")).content.decode()
    ids_unique(finder)
    contact_url = reverse("partner-contact", args=[entry.id])
    assert contact_url in finder and "Consortium member" in finder
    form = client.get(contact_url).content.decode()
    ids_unique(form)
    assert client.post(contact_url, {"body": ""}).status_code == 400
    sent = client.post(contact_url, {"body": "Join our bid for the Birmingham lot?"})
    assert sent.status_code == 302 and sent.url == reverse("partner-messages")
    message = PartnerMessage.objects.get()
    assert message.sent_by_id == team["staff_membership"].user_id
    assert world["women"].email not in client.get(reverse("partner-messages")).content.decode()
    client.logout()

    recipient = signed_in(Membership.objects.get(id=world["women"].membership_id))
    dashboard = recipient.get(reverse("dashboard")).content.decode()
    assert "1 partner message not replied to" in dashboard
    ids_unique(dashboard)
    url = reverse("partner-message", args=[message.id])
    page = recipient.get(url).content.decode()
    ids_unique(page)
    assert "Join our bid" in page and "Share your contact details" in page
    assert recipient.post(url, {"reply": "", "share_contact": "no"}).status_code == 400
    assert (
        recipient.post(url, {"reply": "Happy to talk.", "share_contact": "yes"}).status_code == 302
    )
    recipient.logout()

    client = signed_in(team["staff_membership"])
    page = client.get(url).content.decode()
    assert "Happy to talk." in page and world["women"].email in page
    # Another organisation cannot open the conversation.
    client.logout()
    rival = signed_in(Membership.objects.get(id=world["prime"].membership_id))
    assert rival.get(url).status_code == 404


def test_answers_and_commitments_have_stated_maximums_checked_when_a_draft_is_saved(
    world, team, tender
):
    """A 10,001-character answer or a control character is refused with the question named,
    on a draft as on a submission; nothing is cut and nothing is half saved."""
    from fullvalue.web.tendering.services import MAX_ANSWER

    lot = small_lot(tender)
    criterion = tender.criteria.filter(kind="quality").first()
    for answer, reason in (("x" * (MAX_ANSWER + 1), "at most 10,000"), ("a\x00b", "control")):
        with pytest.raises(FullvalueError) as refused:
            bid_draft_save(
                actor=team["admin"],
                lot_id=lot.id,
                contents={"answers": {str(criterion.id): answer}},
            )
        [problem] = refused.value.problems
        assert problem.column == f"answers.{criterion.id}" and reason in problem.reason
    assert not Bid.objects.exists()
    full = contents(tender, "290000", 3)
    full["social_value"] = [{"measure": "m" * 201, "quantity": "1", "proxy_value": "10"}]
    with pytest.raises(FullvalueError) as refused:
        bid_submit(actor=team["admin"], lot_id=lot.id, contents=full)
    assert any(
        p.column == "social_value" and "at most 200" in p.reason for p in refused.value.problems
    )
    # Two lines in an answer are fine.
    saved = bid_draft_save(
        actor=team["admin"],
        lot_id=lot.id,
        contents={"answers": {str(criterion.id): "First line\nsecond line"}},
    )
    assert saved.status == Bid.Status.DRAFT
