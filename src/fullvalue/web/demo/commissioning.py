"""The commissioning half of the demo world: programmes and tenders at every stage.

- open for bids: a West Midlands PCC tender for women's centres and Black-led mentoring, with a
  consortium bid, a clarification answered and a partner-finder entry;
- under evaluation: an HMPPS North West through-the-gate tender, bids unsealed, the panel
  part-way through scoring (one evaluator declared a conflict);
- in standstill: a Lancashire family resettlement tender awarded three days ago;
- standstill over: an HMPPS debt advice tender awarded 18 days ago, waiting for its contract;
- awarded: an HMPPS women's centre tender awarded in early 2025, whose contract is in delivery
  (see ``demo/delivery.py``).

Dates are relative to when the demo is loaded, so the stages stay true on a fresh install.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from fullvalue.domain.roles import Role, needs_second_factor
from fullvalue.web.accounts.models import Membership, User
from fullvalue.web.accounts.services import actor_for_membership
from fullvalue.web.demo.devices import enrol_demo_device
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.organisations.models import Organisation
from fullvalue.web.programmes.services import (
    engagement_notice_create,
    programme_create,
    programme_publish,
)
from fullvalue.web.tendering import services as t
from fullvalue.web.tendering.models import Tender

EXAMPLES = Path(settings.BASE_DIR) / "examples"


def _mechanism(name: str) -> str:
    path = EXAMPLES / name / "contract.toml"
    if not path.exists():
        raise RuntimeError(f"the demo needs {path} (run it from a repository checkout)")
    return path.read_text(encoding="utf-8")


def demo_member(org: Organisation, role: Role, email: str, name: str, password: str) -> Actor:
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email, password, full_name=name
    )
    membership, _ = Membership.objects.get_or_create(user=user, organisation=org, role=role.value)
    if needs_second_factor({role}):
        enrol_demo_device(user)  # so `script/demo-code` works for every demo person who needs it
    return actor_for_membership(
        Membership.objects.select_related("user", "organisation").get(id=membership.id)
    )


def _criteria(sv_weight: str = "15") -> list[dict]:
    quality = str(100 - 30 - int(sv_weight) - 15)
    return [
        {"name": "Price", "kind": "price", "weight": "30"},
        {
            "name": "Service design and outcomes",
            "kind": "quality",
            "weight": quality,
            "question": "How will your service achieve the outcomes for this cohort?",
        },
        {
            "name": "Local knowledge and lived experience",
            "kind": "quality",
            "weight": "15",
            "question": "How do people with lived experience shape your service?",
        },
        {
            "name": "Social value",
            "kind": "social_value",
            "weight": sv_weight,
            "question": "What social value will you commit to (measures, quantities, proxies)?",
        },
    ]


def _contents(tender: Tender, price: str, jobs: int, volunteers: int, answer: str) -> dict:
    return {
        "price": price,
        "answers": {str(c.id): answer for c in tender.criteria.filter(kind="quality")},
        "social_value": [
            {
                "measure": "Jobs for prison leavers",
                "unit": "job",
                "quantity": jobs,
                "proxy_value": "14500",
            },
            {
                "measure": "Volunteering hours by people with lived experience",
                "unit": "hour",
                "quantity": volunteers,
                "proxy_value": "16.50",
            },
        ],
        "pass_fail": {str(q.id): True for q in tender.pass_fail.all()},
        "declarations": {"conflicts": "None", "exclusion_grounds": False},
    }


def _timeline(published: dt.datetime) -> dict:
    return {
        "consortium_deadline": (published + dt.timedelta(days=15)).isoformat(),
        "clarification_deadline": (published + dt.timedelta(days=23)).isoformat(),
        "submission_deadline": (published + dt.timedelta(days=30)).isoformat(),
    }


def _score_everything(
    tender: Tender,
    evaluators: list[Actor],
    commissioner: Actor,
    marks: dict[int, int],
    moderate: bool = True,
) -> None:
    quality = list(tender.criteria.filter(kind="quality"))
    for lot in tender.lots.all():
        for bid in lot.bids.filter(status="submitted"):
            mark = marks.get(bid.lead_id, 3)
            for i, ev in enumerate(evaluators):
                t.scores_submit(
                    actor=ev,
                    bid_id=bid.id,
                    scores={
                        c.id: (
                            max(0, min(5, mark + (i % 2) * (1 if mark < 5 else -1))),
                            f"Evaluator {i + 1}: evidence against the descriptors for {mark}",
                        )
                        for c in quality
                    },
                )
            if moderate:
                for c in quality:
                    t.consensus_set(
                        actor=commissioner,
                        bid_id=bid.id,
                        criterion_id=c.id,
                        score=mark,
                        reason=f"Panel agreed {mark}: strengths and "
                        "weaknesses weighed against the descriptors",
                    )


def _submit_with_partners(admins: dict[str, Actor], **bid: Any) -> None:
    """Submit a consortium bid the way people do: draft, each partner confirms, then submit."""
    draft = t.bid_draft_save(**bid)
    by_org = {a.organisation_id: a for a in admins.values()}
    for party in bid["parties"]:
        if party["role"] != "lead":
            t.bid_party_confirm(
                actor=by_org[party["organisation_id"]], bid_id=draft.id, now=bid["now"]
            )
    t.bid_submit(**bid)


def build_commissioning_demo(orgs: dict[str, Organisation], password: str) -> None:
    """Create the programmes and tenders; ``orgs`` maps organisation names to objects."""
    now = timezone.now().replace(microsecond=0)
    today = timezone.localdate()
    domain = "demo.fullvalue.test"
    priya = actor_for_membership(
        Membership.objects.select_related("user", "organisation").get(
            user__email=f"commissioner@{domain}", organisation=orgs["Ministry of Justice (HMPPS)"]
        )
    )
    priya_lancs = actor_for_membership(
        Membership.objects.select_related("user", "organisation").get(
            user__email=f"commissioner@{domain}", organisation=orgs["Lancashire County Council"]
        )
    )
    tom_wm = actor_for_membership(
        Membership.objects.select_related("user", "organisation").get(
            user__email=f"evaluator@{domain}"
        )
    )
    tom_moj = demo_member(
        orgs["Ministry of Justice (HMPPS)"],
        Role.EVALUATOR,
        f"evaluator@{domain}",
        "Tom Okafor",
        password,
    )
    wm_lead = demo_member(
        orgs["West Midlands Police and Crime Commissioner"],
        Role.COMMISSIONER,
        f"commissioning.wm@{domain}",
        "Grace Lloyd",
        password,
    )
    moj_ev2 = demo_member(
        orgs["Ministry of Justice (HMPPS)"],
        Role.EVALUATOR,
        f"panel.nw@{domain}",
        "Dev Patel",
        password,
    )
    moj_ev3 = demo_member(
        orgs["Ministry of Justice (HMPPS)"],
        Role.EVALUATOR,
        f"panel2.nw@{domain}",
        "Anne Hughes",
        password,
    )
    lancs_ev = demo_member(
        orgs["Lancashire County Council"],
        Role.EVALUATOR,
        f"panel.lancs@{domain}",
        "Mo Farah-Jones",
        password,
    )
    admins = {
        name: demo_member(orgs[name], Role.PROVIDER_ADMIN, email, person, password)
        for name, email, person in (
            ("Moss Side Women's Centre", f"provider@{domain}", "Aisha Begum"),
            ("Second Chance Trust", f"prime@{domain}", "Helen Marsh"),
            ("Black Mentors Collective", f"admin.bmc@{domain}", "Kwame Mensah"),
            ("Sahara Women's Project", f"admin.sahara@{domain}", "Nadia Rahman"),
            ("Meridian Justice Services Ltd", f"bids@{domain}", "Oliver Grant"),
            ("Calder Rehabilitation plc", f"tenders@{domain}", "Fiona Walsh"),
            ("Fresh Start Debt Advice", f"admin.freshstart@{domain}", "Sam Okoro"),
            ("Pennine Housing First", f"admin.pennine@{domain}", "Liam Dawson"),
            ("Family Links Cymru", f"admin.familylinks@{domain}", "Ceri Jones"),
            ("Workwise Futures CIC", f"admin.workwise@{domain}", "Ruby Singh"),
        )
    }

    def programme(actor: Actor, title: str, mechanism: str, **extra) -> int:
        data = {
            "title": title,
            "summary": extra.pop("summary"),
            "cohort": extra.pop("cohort"),
            "volume_low": extra.pop("low"),
            "volume_expected": extra.pop("expected"),
            "volume_high": extra.pop("high"),
            "budget": extra.pop("budget"),
            "years": 3,
            "outcomes": extra.pop("outcomes"),
            "areas": extra.pop("areas"),
            "delivery_setting": extra.pop("setting", "mixed"),
            "current_provision": extra.pop("current"),
            "what_must_change": extra.pop("change"),
            "mechanism_toml": _mechanism(mechanism),
        }
        p = programme_create(actor=actor, data=data)
        programme_publish(actor=actor, programme_id=p.id)
        return p.id

    # 1. Open for bids (West Midlands PCC).
    wm_programme = programme(
        wm_lead,
        "Women's centres and Black-led mentoring, West Midlands",
        "womens-centre",
        summary="Holistic, trauma-informed support for women and mentoring by Black-led "
        "organisations for young men leaving custody.",
        cohort="Women on community orders or licence; Black and minoritised men aged 18-25 "
        "leaving custody",
        low=260,
        expected=300,
        high=340,
        budget="1350000",
        outcomes=["proven-reoffending-binary", "accommodation-settled", "employment-sustained"],
        areas=["E12000005"],
        current="Generic probation groups; no women-only provision.",
        change="Transformation, not transfer: women-only spaces and by-and-for mentoring, "
        "commissioned locally.",
    )
    engagement_notice_create(
        actor=wm_lead,
        programme_id=wm_programme,
        title="Market engagement event, Birmingham",
        body="Meet the commissioners and each other: consortium building workshop for small "
        "organisations.",
        event_date=today - dt.timedelta(days=20),
    )
    published = now - dt.timedelta(days=10)
    open_tender = t.tender_create(
        actor=wm_lead,
        programme_id=wm_programme,
        data={
            "title": "Women's centres and mentoring 2027-2030",
            "procedure": "open",
            "description": "Two lots: a women's centre service, and a mentoring lot reserved for "
            "organisations with an income under £1 million.",
            "lots": [
                {
                    "title": "Women's centre service",
                    "area": "E12000005",
                    "value": "900000",
                    "cohort": "Women",
                },
                {
                    "title": "Black-led mentoring (reserved for small organisations)",
                    "area": "E12000005",
                    "value": "450000",
                    "reserved_for_small": True,
                    "cohort": "Black and minoritised young men",
                },
            ],
            "criteria": _criteria(),
            "pass_fail": [
                "Do you hold £5m public liability insurance?",
                "Do you have a safeguarding policy?",
            ],
            **_timeline(published),
        },
    )
    t.tender_publish(actor=wm_lead, tender_id=open_tender.id, now=published)
    lot1, lot2 = open_tender.lots.all()
    t.interest_register(actor=admins["Black Mentors Collective"], tender_id=open_tender.id)
    q = t.clarification_ask(
        actor=admins["Black Mentors Collective"],
        tender_id=open_tender.id,
        question="Can a consortium lead also be a sub-contractor in another bid for the other lot?",
        now=published + dt.timedelta(days=2),
    )
    t.clarification_answer(
        actor=wm_lead,
        clarification_id=q.id,
        answer="Yes. Each bid must name its parties and their shares.",
    )
    # The small-charity journey: Black Mentors Collective (admin, two staff) can bid for the
    # reserved lot with Workwise Futures CIC, listed in the partner finder, as sub-contractor.
    demo_member(
        orgs["Black Mentors Collective"],
        Role.PROVIDER_STAFF,
        f"volunteers.bmc@{domain}",
        "Leah Campbell",
        password,
    )
    t.partner_interest_create(
        actor=admins["Workwise Futures CIC"],
        lot_id=lot2.id,
        role_sought="subcontractor",
        offer="Employment coaching and employer brokerage for the young men being mentored.",
    )
    t.partner_interest_create(
        actor=admins["Family Links Cymru"],
        lot_id=lot1.id,
        role_sought="subcontractor",
        offer="Family support for women's children during their order.",
    )
    _submit_with_partners(
        admins,
        actor=admins["Moss Side Women's Centre"],
        lot_id=lot1.id,
        contents=_contents(
            open_tender, "860000", 6, 1200, "A women-only centre co-designed with women who use it."
        ),
        parties=[
            {
                "organisation_id": orgs["Moss Side Women's Centre"].id,
                "role": "lead",
                "share_of_value": "0.65",
                "share_of_work": "0.6",
                "carries_working_capital": True,
            },
            {
                "organisation_id": orgs["Sahara Women's Project"].id,
                "role": "member",
                "share_of_value": "0.35",
                "share_of_work": "0.4",
            },
        ],
        now=published + dt.timedelta(days=8),
    )

    # 2. Under evaluation (HMPPS North West).
    nw_programme = programme(
        priya,
        "Through-the-gate resettlement, North West",
        "transforming-rehabilitation",
        summary="Resettlement from custody into the community: accommodation, debt and "
        "employment, delivered through a prime and a local supply chain.",
        cohort="Adults released from North West prisons",
        low=1800,
        expected=2400,
        high=2600,
        budget="9000000",
        outcomes=[
            "proven-reoffending-binary",
            "proven-reoffending-frequency",
            "accommodation-settled",
            "debt-resolved",
        ],
        areas=["E12000002"],
        current="A national contract with little local supply chain.",
        change="Local outcomes and a supply chain paid up front.",
    )
    published = now - dt.timedelta(days=36)
    eval_tender = t.tender_create(
        actor=priya,
        programme_id=nw_programme,
        data={
            "title": "North West resettlement 2027",
            "procedure": "competitive_flexible",
            "description": "Lot 1: resettlement across the region. Lot 2: debt advice in prisons, "
            "reserved for small organisations.",
            "lots": [
                {"title": "Regional resettlement service", "area": "E12000002", "value": "7500000"},
                {
                    "title": "Prison debt advice (small organisations)",
                    "area": "E12000002",
                    "value": "600000",
                    "reserved_for_small": True,
                },
            ],
            "criteria": _criteria("20"),
            "pass_fail": ["Do you hold £5m public liability insurance?"],
            **_timeline(published),
        },
    )
    t.tender_publish(actor=priya, tender_id=eval_tender.id, now=published)
    e1, e2 = eval_tender.lots.all()
    submit_at = published + dt.timedelta(days=25)
    _submit_with_partners(
        admins,
        actor=admins["Second Chance Trust"],
        lot_id=e1.id,
        contents=_contents(
            eval_tender, "7250000", 40, 5000, "A prime with a local supply chain funded up front."
        ),
        parties=[
            {
                "organisation_id": orgs["Second Chance Trust"].id,
                "role": "lead",
                "share_of_value": "0.6",
                "share_of_work": "0.5",
                "carries_working_capital": True,
            },
            {
                "organisation_id": orgs["Pennine Housing First"].id,
                "role": "member",
                "share_of_value": "0.3",
                "share_of_work": "0.35",
            },
            {
                "organisation_id": orgs["Fresh Start Debt Advice"].id,
                "role": "subcontractor",
                "share_of_value": "0.1",
                "share_of_work": "0.15",
            },
        ],
        now=submit_at,
    )
    t.bid_submit(
        actor=admins["Meridian Justice Services Ltd"],
        lot_id=e1.id,
        contents=_contents(eval_tender, "6900000", 12, 0, "A proven national delivery model."),
        now=submit_at,
    )
    t.bid_submit(
        actor=admins["Calder Rehabilitation plc"],
        lot_id=e1.id,
        contents=_contents(eval_tender, "7100000", 20, 800, "Accommodation-led resettlement."),
        now=submit_at,
    )
    t.bid_submit(
        actor=admins["Fresh Start Debt Advice"],
        lot_id=e2.id,
        contents=_contents(
            eval_tender, "560000", 3, 600, "Debt advice on every wing, continued after release."
        ),
        now=submit_at,
    )
    t.tender_close(actor=priya, tender_id=eval_tender.id)
    for ev in (tom_moj, moj_ev2, moj_ev3):
        t.panel_assign(
            actor=priya, tender_id=eval_tender.id, evaluator_membership_id=ev.membership_id or 0
        )
    t.conflict_declare(actor=moj_ev2, tender_id=eval_tender.id, has_conflict=False)
    t.conflict_declare(
        actor=moj_ev3,
        tender_id=eval_tender.id,
        has_conflict=True,
        detail="Former trustee of Pennine Housing First.",
    )
    quality = list(eval_tender.criteria.filter(kind="quality"))
    for bid in e1.bids.filter(status="submitted"):
        t.scores_submit(
            actor=moj_ev2,
            bid_id=bid.id,
            scores={
                c.id: (
                    4 if bid.lead_id == orgs["Second Chance Trust"].id else 3,
                    "Scored against the descriptors",
                )
                for c in quality
            },
        )

    # 3. In standstill (Lancashire) and 4. awarded (HMPPS) share the same steps.
    for actor, panel, title, mechanism, region, area_code, days_ago, lead, rival, extra in (
        (
            priya_lancs,
            [lancs_ev],
            "Family resettlement (community budget pilot)",
            "troubled-families",
            "Lancashire",
            "E12000002",
            3,
            "Pennine Housing First",
            "Calder Rehabilitation plc",
            {
                "summary": "Pooled budget with health and probation for families with "
                "complex needs.",
                "cohort": "Families with a parent leaving prison",
                "low": 150,
                "expected": 200,
                "high": 240,
                "budget": "1800000",
                "outcomes": ["family-contact", "accommodation-settled"],
            },
        ),
        (
            priya,
            [tom_moj],
            "Women's centre service, Greater Manchester",
            "womens-centre",
            "Greater Manchester",
            "E12000002",
            600,
            "Moss Side Women's Centre",
            "Meridian Justice Services Ltd",
            {
                "summary": "A women's centre for women on orders and licence, 70% guaranteed "
                "and 30% paid on results.",
                "cohort": "Women on community orders or licence in Greater Manchester",
                "low": 120,
                "expected": 150,
                "high": 180,
                "budget": "450000",
                "outcomes": ["proven-reoffending-binary", "accommodation-settled"],
            },
        ),
        (
            priya,
            [moj_ev2],
            "Finance, benefit and debt advice through the gate",
            "womens-centre",
            "Yorkshire and the Humber",
            "E12000003",
            # Standstill (8 working days) has ended but the award is not yet confirmed: the
            # commissioner can create the contract from the award.
            18,
            "Fresh Start Debt Advice",
            "Calder Rehabilitation plc",
            {
                "summary": "Debt, benefit and money advice for people leaving prison, mostly "
                "guaranteed with a share paid on results.",
                "cohort": "People leaving prisons in Yorkshire and the Humber",
                "low": 160,
                "expected": 200,
                "high": 240,
                "budget": "600000",
                "outcomes": ["proven-reoffending-binary", "accommodation-settled"],
            },
        ),
    ):
        pid = programme(
            actor,
            title,
            mechanism,
            areas=[area_code],
            current="Separate services funded in silos.",
            change="One outcome-focused service with minimal process specification.",
            **extra,
        )
        award_day = today - dt.timedelta(days=days_ago)
        published = timezone.make_aware(
            dt.datetime.combine(award_day - dt.timedelta(days=60), dt.time(9))
        )
        tender = t.tender_create(
            actor=actor,
            programme_id=pid,
            data={
                "title": f"{title} 2026",
                "procedure": "open",
                "description": f"One lot covering {region}.",
                "lots": [{"title": f"{region} service", "area": area_code, "value": "900000"}],
                "criteria": _criteria(),
                "pass_fail": ["Do you have a safeguarding policy?"],
                **_timeline(published),
            },
        )
        t.tender_publish(actor=actor, tender_id=tender.id, now=published)
        lot = tender.lots.get()
        at = published + dt.timedelta(days=20)
        t.bid_submit(
            actor=admins[lead],
            lot_id=lot.id,
            contents=_contents(tender, "450000", 8, 900, "Local and joined-up."),
            now=at,
        )
        t.bid_submit(
            actor=admins[rival],
            lot_id=lot.id,
            contents=_contents(tender, "430000", 3, 0, "Efficient at scale."),
            now=at,
        )
        t.tender_close(actor=actor, tender_id=tender.id)
        for ev in panel:
            t.panel_assign(
                actor=actor, tender_id=tender.id, evaluator_membership_id=ev.membership_id or 0
            )
            t.conflict_declare(actor=ev, tender_id=tender.id, has_conflict=False)
        _score_everything(tender, panel, actor, {orgs[lead].id: 4, orgs[rival].id: 3})
        t.award_decide(actor=actor, lot_id=lot.id, notice_date=award_day)
        if days_ago > 20:
            t.award_confirm(actor=actor, lot_id=lot.id, today=today)
    del tom_wm
