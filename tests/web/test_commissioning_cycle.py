"""The commissioning cycle through the services: programme, tender, bids, evaluation, award."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fullvalue.errors import Conflict, FullvalueError, PermissionDenied
from fullvalue.web.audit.models import AuditEvent
from fullvalue.web.contracts.models import Contract
from fullvalue.web.programmes.services import programme_create, risk_preview
from fullvalue.web.socialvalue import selectors as socialvalue_selectors
from fullvalue.web.tendering import selectors
from fullvalue.web.tendering.models import Bid, Tender
from fullvalue.web.tendering.results import lot_results
from fullvalue.web.tendering.services import (
    award_confirm,
    award_decide,
    bid_draft_save,
    bid_party_confirm,
    bid_submit,
    bid_withdraw,
    clarification_answer,
    clarification_ask,
    conflict_declare,
    consensus_set,
    interest_register,
    panel_assign,
    scores_submit,
    tender_amend,
    tender_close,
    tender_create,
    tender_publish,
    tender_update,
)
from tests.web.cycle import EXAMPLES, START, contents, programme_data, tender_data

pytestmark = pytest.mark.django_db


def test_risk_preview_warns_when_pbr_is_too_much_for_the_cohort():
    blended = risk_preview((EXAMPLES / "womens-centre" / "contract.toml").read_text())
    full = risk_preview((EXAMPLES / "womens-centre" / "mechanisms" / "pbr-100.toml").read_text())
    assert blended.warnings == ()
    assert full.warnings and "at most 30%" in full.warnings[0]
    assert full.probability_of_loss > blended.probability_of_loss
    assert 0 <= full.probability_of_outcome_payment <= 1
    assert full.working_capital_p50 > blended.working_capital_p50


def test_programme_rules(world):
    bad = {
        **programme_data(),
        "volume_low": 200,
        "budget": "-1",
        "outcomes": ["nope"],
        "mechanism_toml": "[contract]\nname = 1\n",
    }
    with pytest.raises(FullvalueError) as exc:
        programme_create(actor=world["commissioner"], data=bad)
    cols = {p.column for p in exc.value.problems}
    assert {"volume_expected", "budget", "outcomes", "mechanism_toml"} <= cols
    with pytest.raises(PermissionDenied):
        programme_create(actor=world["women"], data=programme_data())


def test_tender_rules(world):
    programme = programme_create(actor=world["commissioner"], data=programme_data())
    data = tender_data()
    data["criteria"][0]["weight"] = "35"  # sums to 105
    data["criteria"][3]["weight"] = "5"  # social value under 10%, no reason
    with pytest.raises(FullvalueError) as exc:
        tender_create(actor=world["commissioner"], programme_id=programme.id, data=data)
    reasons = " ".join(p.reason for p in exc.value.problems)
    assert "add up to 95" in reasons and "at least 10%" in reasons
    assert Tender.objects.count() == 0


def test_the_whole_cycle(world, clock, mailoutbox):
    c = world["commissioner"]
    programme = programme_create(actor=c, data=programme_data())
    tender = tender_create(actor=c, programme_id=programme.id, data=tender_data())
    tender_publish(actor=c, tender_id=tender.id, now=START)
    with pytest.raises(Conflict, match="cannot be edited"):
        tender_update(actor=c, tender_id=tender.id, data=tender_data())
    lot1, lot2 = tender.lots.all()

    # Two organisations form a consortium; a third bids alone; a large prime is refused lot 2.
    interest_register(actor=world["mentors"], tender_id=tender.id)
    q = clarification_ask(
        actor=world["mentors"], tender_id=tender.id, question="Can sub-contractors be named later?"
    )
    clarification_answer(actor=c, clarification_id=q.id, answer="No: name them in the bid.")
    published = list(selectors.published_clarifications(tender))
    assert published[0].answer.startswith("No") and not hasattr(published[0], "asked_by_name")

    women_org = world["women"].organisation_id
    mentors_org = world["mentors"].organisation_id
    consortium = [
        {
            "organisation_id": women_org,
            "role": "lead",
            "share_of_value": "0.7",
            "share_of_work": "0.6",
            "carries_working_capital": True,
        },
        {
            "organisation_id": mentors_org,
            "role": "member",
            "share_of_value": "0.3",
            "share_of_work": "0.4",
        },
    ]
    bad = [dict(consortium[0], share_of_value="1.2"), consortium[1]]
    with pytest.raises(FullvalueError) as exc:
        bid_submit(
            actor=world["women"],
            lot_id=lot1.id,
            contents=contents(tender, "400000", 5),
            parties=bad,
        )
    assert any("between 0% and 100%" in p.reason for p in exc.value.problems)
    # The named consortium member confirms its part before the bid can be submitted.
    with pytest.raises(FullvalueError) as exc:
        bid_submit(
            actor=world["women"],
            lot_id=lot1.id,
            contents=contents(tender, "420000", 5),
            parties=consortium,
        )
    assert any("has not confirmed its part" in p.reason for p in exc.value.problems)
    draft = bid_draft_save(
        actor=world["women"],
        lot_id=lot1.id,
        contents=contents(tender, "420000", 5),
        parties=consortium,
    )
    bid_party_confirm(actor=world["mentors"], bid_id=draft.id)
    b1 = bid_submit(
        actor=world["women"],
        lot_id=lot1.id,
        contents=contents(tender, "420000", 5),
        parties=consortium,
    )
    b1 = bid_submit(
        actor=world["women"],
        lot_id=lot1.id,  # resubmission replaces the first
        contents=contents(tender, "410000", 6),
        parties=consortium,
    )
    b2 = bid_submit(actor=world["prime"], lot_id=lot1.id, contents=contents(tender, "380000", 2))
    with pytest.raises(FullvalueError, match="correcting"):
        bid_submit(actor=world["prime"], lot_id=lot2.id, contents=contents(tender, "1", 1))
    b3 = bid_submit(actor=world["mentors"], lot_id=lot2.id, contents=contents(tender, "290000", 1))
    assert Bid.objects.filter(lot=lot1, status="submitted").count() == 2

    # Sealed: before the deadline nobody at the commissioner can read any bid, on any path.
    for who in ("commissioner", "ev1"):
        with pytest.raises(PermissionDenied):
            selectors.bid_get(world[who], b1.id)
        assert selectors.bids_for_lot(world[who], lot1) == []
    assert selectors.bid_contents(world["mentors"], b1)["price"] == "410000.00"  # a party
    with pytest.raises(PermissionDenied):
        selectors.bid_get(world["prime"], b1.id)  # a rival
    assert b"410000" not in bytes(Bid.objects.get(id=b1.id).sealed)  # encrypted at rest
    assert not AuditEvent.objects.filter(action="bid.submit", changes__icontains="410000").exists()

    # An amendment is recorded and interested organisations are told (by the worker).
    amendment = tender_amend(
        actor=c,
        tender_id=tender.id,
        summary="Deadline extended by a day.",
        changes={"submission_deadline": "2027-02-11T12:00:00+00:00"},
    )
    assert amendment.notified == 1
    from fullvalue.web.tendering.tasks import notify_amendment

    assert notify_amendment.call(amendment.id) == 1
    assert "Deadline extended" in mailoutbox[-1].body
    with pytest.raises(FullvalueError, match="correcting"):
        tender_amend(
            actor=c,
            tender_id=tender.id,
            summary="Earlier",
            changes={"submission_deadline": "2027-02-05T12:00:00+00:00"},
        )

    # Deadline passes: late bids are refused and withdrawals too.
    clock["now"] = dt.datetime(2027, 2, 11, 12, 0, 1, tzinfo=dt.UTC)
    with pytest.raises(Conflict, match="deadline has passed"):
        bid_submit(actor=world["mentors"], lot_id=lot1.id, contents=contents(tender, "1", 1))
    with pytest.raises(Conflict):
        bid_withdraw(actor=world["women"], bid_id=b1.id)
    tender_close(actor=c, tender_id=tender.id)
    assert len(selectors.bids_for_lot(world["commissioner"], lot1)) == 2

    # Panel: one evaluator declares a conflict and cannot score.
    for key in ("ev1", "ev2", "ev3"):
        panel_assign(actor=c, tender_id=tender.id, evaluator_membership_id=world["members"][key].id)
    with pytest.raises(PermissionDenied):
        selectors.bid_get(world["ev1"], b1.id)  # no declaration yet
    conflict_declare(actor=world["ev1"], tender_id=tender.id, has_conflict=False)
    conflict_declare(actor=world["ev2"], tender_id=tender.id, has_conflict=False)
    conflict_declare(
        actor=world["ev3"],
        tender_id=tender.id,
        has_conflict=True,
        detail="Trustee of Black Mentors Collective",
    )
    quality = [x for x in tender.criteria.all() if x.kind == "quality"]
    with pytest.raises(PermissionDenied, match="conflict"):
        scores_submit(actor=world["ev3"], bid_id=b1.id, scores={x.id: (3, "ok") for x in quality})
    scores_submit(actor=world["ev1"], bid_id=b1.id, scores={x.id: (4, "Strong") for x in quality})
    assert not selectors.scores_visible_to(world["ev2"], b1).exists()  # not until own submitted
    scores_submit(actor=world["ev2"], bid_id=b1.id, scores={x.id: (3, "Good") for x in quality})
    assert selectors.scores_visible_to(world["ev2"], b1).count() == 2 * len(quality)
    with pytest.raises(FullvalueError, match="not scored"):
        consensus_set(actor=c, bid_id=b2.id, criterion_id=quality[0].id, score=3, reason="x")
    for bid, mark in ((b2, 2), (b3, 3)):
        for ev in ("ev1", "ev2"):
            scores_submit(
                actor=world[ev], bid_id=bid.id, scores={x.id: (mark, "Adequate") for x in quality}
            )
    for bid, mark in ((b1, 4), (b2, 2), (b3, 3)):
        for x in quality:
            consensus_set(
                actor=c,
                bid_id=bid.id,
                criterion_id=x.id,
                score=mark,
                reason="Panel agreed after discussion",
            )

    results = lot_results(lot1)
    by_bid = {r.bid_id: r for r in results.bids}
    # Price: lowest £380,000. Bid 1 £410,000 => 30 x 380/410 = 27.80; bid 2 scores 30.00.
    price = next(x for x in tender.criteria.all() if x.kind == "price")
    assert by_bid[b1.id].points[price.id] == Decimal("27.80")
    assert by_bid[b2.id].points[price.id] == Decimal("30.00")
    # Quality 4/5 on 40 + 15 => 44.00; social value 6 jobs vs 2 => 15.00 vs 5.00.
    assert by_bid[b1.id].total == Decimal("27.80") + Decimal("44.00") + Decimal("15.00")
    assert results.winner == b1.id

    award = award_decide(actor=c, lot_id=lot1.id, notice_date=dt.date(2027, 3, 1))
    assert award.standstill_ends_on == dt.date(2027, 3, 10)
    award_decide(actor=c, lot_id=lot2.id, notice_date=dt.date(2027, 3, 1))
    assert Tender.objects.get(id=tender.id).status == "standstill"
    with pytest.raises(Conflict, match="standstill"):
        award_confirm(actor=c, lot_id=lot1.id, today=dt.date(2027, 3, 10))
    contract = award_confirm(actor=c, lot_id=lot1.id, today=dt.date(2027, 3, 11))
    assert contract.provider_id == women_org and contract.value == Decimal("410000.00")
    assert sorted(contract.supply_chain.values_list("role", flat=True)) == ["lead", "member"]
    # The contract is made by the contracts service, so its creation is audited with its award.
    created = AuditEvent.objects.get(action="contract.create", object_id=str(contract.id))
    assert created.changes["award"] == [None, contract.award_id]
    assert sorted(created.changes["supply_chain"][1]) == sorted(
        contract.supply_chain.values_list("organisation_id", flat=True)
    )
    # The winning bid's social value becomes the contract's commitment: 6 jobs × £12,000.
    committed = socialvalue_selectors.social_value(contract.id)["committed"]
    assert [(x["measure"], x["quantity"], x["value"]) for x in committed["lines"]] == [
        ("Jobs for prison leavers", Decimal("6.00"), Decimal("72000.00"))
    ]
    assert "winning bid" in committed["lines"][0]["source"]
    award_confirm(actor=c, lot_id=lot2.id, today=dt.date(2027, 3, 11))
    assert Tender.objects.get(id=tender.id).status == "awarded"
    assert Contract.objects.count() == 2

    # Every score change is in the audit trail.
    assert AuditEvent.objects.filter(action="score.submit").count() == 3 * 2 * len(quality)
    assert AuditEvent.objects.filter(action="consensus.set").count() == 3 * len(quality)


def test_feedback_letters_for_every_bidder(world, clock):
    """Run the cycle to award, then read both lot-1 bidders' letters (page data and PDF)."""
    from fullvalue.web.tendering.feedback import feedback_letter, feedback_pdf

    c = world["commissioner"]
    programme = programme_create(actor=c, data=programme_data())
    tender = tender_create(actor=c, programme_id=programme.id, data=tender_data())
    tender_publish(actor=c, tender_id=tender.id, now=START)
    lot1 = tender.lots.first()
    winner = bid_submit(
        actor=world["women"], lot_id=lot1.id, contents=contents(tender, "410000", 6)
    )
    loser = bid_submit(actor=world["prime"], lot_id=lot1.id, contents=contents(tender, "380000", 2))
    clock["now"] = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    tender_close(actor=c, tender_id=tender.id)
    panel_assign(actor=c, tender_id=tender.id, evaluator_membership_id=world["members"]["ev1"].id)
    conflict_declare(actor=world["ev1"], tender_id=tender.id, has_conflict=False)
    quality = [x for x in tender.criteria.all() if x.kind == "quality"]
    for bid, mark in ((winner, 4), (loser, 2)):
        scores_submit(
            actor=world["ev1"], bid_id=bid.id, scores={x.id: (mark, "Reasoned") for x in quality}
        )
        for x in quality:
            consensus_set(
                actor=c,
                bid_id=bid.id,
                criterion_id=x.id,
                score=mark,
                reason=f"Consensus {mark}: evidence weighed",
            )
    with pytest.raises(Exception, match="awarded"):
        feedback_letter(world["prime"], loser.id)
    award_decide(actor=c, lot_id=lot1.id, notice_date=dt.date(2027, 3, 1))
    letter = feedback_letter(world["prime"], loser.id)
    assert not letter.successful and letter.rank == 2 and letter.bids == 2
    design = next(line for line in letter.lines if line.name == "Service design")
    assert design.points == Decimal("16.00") and design.winner_points == Decimal("32.00")
    assert "Consensus 2" in design.reason and "Consensus 4" in design.winner_reason
    assert letter.standstill_ends_on == "10 March 2027"
    assert feedback_letter(world["women"], winner.id).successful
    with pytest.raises(PermissionDenied):
        feedback_letter(world["women"], loser.id)  # a rival's letter
    pdf = feedback_pdf(letter)
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_custom_outcomes_and_engagement_notices(world, client, api_token):
    from fullvalue.web.accounts.models import Membership
    from fullvalue.web.programmes.models import OutcomeDefinition

    data = {
        **programme_data(),
        "outcomes": [],
        "custom_outcomes": [
            {
                "name": "Reconnected with children",
                "definition": "",
                "evidence_rule": "Social worker confirmation",
            }
        ],
    }
    with pytest.raises(FullvalueError) as exc:
        programme_create(actor=world["commissioner"], data=data)
    assert [p.column for p in exc.value.problems] == ["custom_outcome_definition"]
    data["custom_outcomes"][0]["definition"] = "Regular contact restored within 6 months"
    programme = programme_create(actor=world["commissioner"], data=data)
    custom = OutcomeDefinition.objects.get(is_catalogue=False)
    assert list(programme.outcomes.all()) == [custom]
    assert custom.organisation_id == world["commissioner"].organisation_id
    token = api_token(Membership.objects.get(id=world["commissioner"].membership_id))
    r = client.post(
        f"/api/v1/programmes/{programme.id}/notices",
        {"title": "Market event", "body": "Come and meet us", "event_date": "2027-02-01"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 201
    assert programme.notices.get().event_date.isoformat() == "2027-02-01"


def test_consortium_formation_period_is_configurable(world, settings):
    settings.CONSORTIUM_MIN_DAYS = 30
    programme = programme_create(actor=world["commissioner"], data=programme_data())
    tender = tender_create(
        actor=world["commissioner"], programme_id=programme.id, data=tender_data()
    )
    with pytest.raises(FullvalueError) as exc:
        tender_publish(actor=world["commissioner"], tender_id=tender.id, now=START)
    assert any("at least 30 days" in p.reason for p in exc.value.problems)


def test_editing_a_draft_audits_before_and_after(world):
    programme = programme_create(actor=world["commissioner"], data=programme_data())
    tender = tender_create(
        actor=world["commissioner"], programme_id=programme.id, data=tender_data()
    )
    changed = {**tender_data(), "title": "Women's centres 2027 (revised)"}
    tender_update(actor=world["commissioner"], tender_id=tender.id, data=changed)
    event = AuditEvent.objects.filter(action="tender.update").get()
    assert event.changes["title"] == ["Women's centres 2027", "Women's centres 2027 (revised)"]
    assert "lots" not in event.changes  # unchanged lots are not reported as changes
