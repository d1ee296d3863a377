"""Writes for tendering.

Tender design and publication, clarifications, amendments, bids, evaluation (conflicts,
independent scores, moderation), award and standstill.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fullvalue.domain.calendar import standstill_end
from fullvalue.domain.evaluation import SCALE, Criterion, check_criteria, rule_score_on_the_scale
from fullvalue.domain.roles import Role
from fullvalue.domain.tendering import (
    PartyShare,
    Timeline,
    check_parties,
    check_partners_confirmed,
    check_timeline,
    rule_small_lot_income,
)
from fullvalue.errors import Conflict, FullvalueError, NotFound, PermissionDenied, Problem
from fullvalue.web.accounts.selectors import active_membership
from fullvalue.web.audit.services import audit_record
from fullvalue.web.contracts import services as contract_services
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.policy import require
from fullvalue.web.organisations import selectors as org_selectors
from fullvalue.web.programmes.selectors import programme_by_id
from fullvalue.web.socialvalue import services as socialvalue_services
from fullvalue.web.tendering import policy

if TYPE_CHECKING:
    from fullvalue.web.contracts.models import Contract

from fullvalue.web.kernel import fields
from fullvalue.web.kernel.fields import MAX_TEXT, MAX_TITLE
from fullvalue.web.tendering.models import (
    Amendment,
    Award,
    AwardCriterion,
    Bid,
    BidParty,
    Clarification,
    Consensus,
    EvaluatorAssignment,
    Interest,
    Lot,
    PartnerInterest,
    PassFailQuestion,
    Score,
    Tender,
)
from fullvalue.web.tendering.results import lot_results
from fullvalue.web.tendering.sealing import seal, unseal
from fullvalue.web.tendering.selectors import (
    confirmed_part,
    deadline_passed,
    party_share,
    working_terms,
)


def _fail(message: str, problems: list[Problem]) -> None:
    if problems:
        raise FullvalueError.from_problems(message, problems)


def _datetime(value: Any, name: str, problems: list[Problem]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    return fields.Fields(problems)(fields.datetime, value, name)


def _money(value: Any, name: str, problems: list[Problem], where: str = "") -> Decimal:
    try:
        return fields.money(value, where or name, above_minimum=True)
    except fields.FieldInvalid as exc:
        problems.append(Problem(exc.problems[0].reason, location=where, column=name))
        return Decimal(0)


def _text(
    value: Any,
    name: str,
    problems: list[Problem],
    *,
    max_length: int,
    multiline: bool = True,
    where: str = "",
) -> str:
    """Text of a stated maximum length without control characters ("" with a problem if not)."""
    try:
        return fields.text(value, where or name, max_length=max_length, multiline=multiline)
    except fields.FieldInvalid as exc:
        problems.append(Problem(exc.problems[0].reason, location=where, column=name))
        return ""


def _commissioner_tender(actor: Actor, tender_id: int, *, for_update: bool = False) -> Tender:
    actor.require_can_write()
    qs = Tender.objects.select_for_update() if for_update else Tender.objects
    tender = qs.filter(id=tender_id).first()
    if tender is None:
        raise NotFound("No such tender.")
    require(policy.can_manage_tender, actor, tender)
    return tender


def _criteria(rows: list[dict[str, Any]], problems: list[Problem]) -> list[Criterion]:
    criteria = []
    for i, row in enumerate(rows):
        where = f"criteria[{i}]"
        name = _text(
            row.get("name"),
            "name",
            problems,
            max_length=200,
            multiline=False,
            where=f"{where}.name",
        )
        kind = str(row.get("kind") or "")
        if not name:
            problems.append(Problem("Name the criterion", location=f"{where}.name", column="name"))
        if kind not in AwardCriterion.Kind.values:
            problems.append(
                Problem(
                    "Choose price, quality or social value", location=f"{where}.kind", column="kind"
                )
            )
        try:
            weight = fields.percent(row.get("weight"), f"{where}.weight")
        except fields.FieldInvalid:
            problems.append(
                Problem(
                    "Enter a weight in percentage points (0 to 100)",
                    location=f"{where}.weight",
                    column="weights",
                )
            )
            weight = Decimal(0)
        criteria.append(Criterion(name, kind, weight))
    if not rows:
        problems.append(Problem("Add the award criteria", column="weights"))
    return criteria


def _tender_values(data: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    title = _text(data.get("title"), "title", problems, max_length=MAX_TITLE, multiline=False)
    if not title and not any(p.column == "title" for p in problems):
        problems.append(Problem("Enter a title", column="title"))
    procedure = str(data.get("procedure") or "")
    if procedure not in Tender.Procedure.values:
        problems.append(Problem("Choose a procedure", column="procedure"))
    values: dict[str, Any] = {
        "title": title,
        "description": _text(data.get("description"), "description", problems, max_length=MAX_TEXT),
        "procedure": procedure,
        "social_value_reason": _text(
            data.get("social_value_reason"), "social_value_reason", problems, max_length=MAX_TEXT
        ),
        "consortium_deadline": _datetime(
            data.get("consortium_deadline"), "consortium_deadline", problems
        ),
        "clarification_deadline": _datetime(
            data.get("clarification_deadline"), "clarification_deadline", problems
        ),
        "submission_deadline": _datetime(
            data.get("submission_deadline"), "submission_deadline", problems
        ),
    }
    lots = []
    for i, row in enumerate(data.get("lots") or []):
        where = f"lots[{i}]"
        lot_title = _text(
            row.get("title"),
            "lots",
            problems,
            max_length=MAX_TITLE,
            multiline=False,
            where=f"{where}.title",
        )
        if not lot_title:
            problems.append(Problem("Name the lot", location=f"{where}.title", column="lots"))
        area = None
        if row.get("area"):
            area = org_selectors.area_by_code(row["area"])
            if area is None:
                problems.append(Problem("Unknown area", location=f"{where}.area", column="lots"))
        lots.append(
            {
                "number": i + 1,
                "title": lot_title,
                "description": _text(
                    row.get("description"),
                    "lots",
                    problems,
                    max_length=MAX_TEXT,
                    where=f"{where}.description",
                ),
                "area": area,
                "cohort": _text(
                    row.get("cohort"),
                    "lots",
                    problems,
                    max_length=200,
                    multiline=False,
                    where=f"{where}.cohort",
                ),
                "value": _money(row.get("value"), "lots", problems, f"{where}.value"),
                "reserved_for_small": bool(row.get("reserved_for_small")),
            }
        )
    if not lots:
        problems.append(Problem("Add at least one lot", column="lots"))
    criteria_rows = list(data.get("criteria") or [])
    criteria = _criteria(criteria_rows, problems)
    problems += check_criteria(criteria, values["social_value_reason"]) if criteria else []
    values["lots"] = lots
    values["criteria"] = [
        {
            "name": c.name,
            "kind": c.kind,
            "weight": c.weight,
            "question": _text(
                row.get("question"),
                "criteria",
                problems,
                max_length=MAX_TEXT,
                where=f"criteria[{i}].question",
            ),
            "descriptors": {str(k): v for k, v in SCALE.items()},
            "order": i,
        }
        for i, (c, row) in enumerate(zip(criteria, criteria_rows, strict=True))
    ]
    values["pass_fail"] = [
        _text(t, "pass_fail", problems, max_length=500, where=f"pass_fail[{i}]")
        for i, t in enumerate(data.get("pass_fail") or [])
        if str(t).strip()
    ]
    return values, problems


def _write_children(tender: Tender, values: dict[str, Any]) -> None:
    tender.lots.all().delete()
    tender.criteria.all().delete()
    tender.pass_fail.all().delete()
    Lot.objects.bulk_create(Lot(tender=tender, **lot) for lot in values["lots"])
    AwardCriterion.objects.bulk_create(
        AwardCriterion(tender=tender, **c) for c in values["criteria"]
    )
    PassFailQuestion.objects.bulk_create(
        PassFailQuestion(tender=tender, text=t) for t in values["pass_fail"]
    )


def _snapshot(values: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in values.items() if k not in ("lots", "criteria")}
    out["lots"] = [
        {**lot, "area": lot["area"].code if lot["area"] else None} for lot in values["lots"]
    ]
    out["criteria"] = [
        {"name": c["name"], "kind": c["kind"], "weight": c["weight"]} for c in values["criteria"]
    ]
    return out


@transaction.atomic
def tender_create(*, actor: Actor, programme_id: int, data: dict[str, Any]) -> Tender:
    """Draft a tender for a programme: procedure, timeline, lots, criteria, pass/fail."""
    actor.require_can_write()
    programme = programme_by_id(programme_id)
    if programme is None:
        raise NotFound("No such programme.")
    require(policy.can_tender_programme, actor, programme)
    values, problems = _tender_values(data)
    _fail("The tender needs correcting.", problems)
    count = Tender.objects.filter(commissioner_id=programme.commissioner_id).count() + 1
    reference = f"FV-{programme.commissioner_id:03d}-{count:04d}"
    tender = Tender(
        programme=programme, commissioner_id=programme.commissioner_id, reference=reference
    )
    return _save_tender(actor, tender, values, "tender.create", before={})


@transaction.atomic
def tender_update(*, actor: Actor, tender_id: int, data: dict[str, Any]) -> Tender:
    """Change a draft tender. A published tender can only be amended (and bidders told)."""
    tender = _commissioner_tender(actor, tender_id, for_update=True)
    if tender.status != Tender.Status.DRAFT:
        raise Conflict("A published tender cannot be edited: publish an amendment instead.")
    values, problems = _tender_values(data)
    _fail("The tender needs correcting.", problems)
    return _save_tender(actor, tender, values, "tender.update", before=_current(tender))


def _current(tender: Tender) -> dict[str, Any]:
    """A draft tender's fields as :func:`_snapshot` shows them, for the audit's before."""
    return {
        "title": tender.title,
        "description": tender.description,
        "procedure": tender.procedure,
        "social_value_reason": tender.social_value_reason,
        "consortium_deadline": tender.consortium_deadline,
        "clarification_deadline": tender.clarification_deadline,
        "submission_deadline": tender.submission_deadline,
        "lots": [
            {
                "number": lot.number,
                "title": lot.title,
                "description": lot.description,
                "area": lot.area.code if lot.area else None,
                "cohort": lot.cohort,
                "value": lot.value,
                "reserved_for_small": lot.reserved_for_small,
            }
            for lot in tender.lots.select_related("area")
        ],
        "criteria": [
            {"name": c.name, "kind": c.kind, "weight": c.weight} for c in tender.criteria.all()
        ],
        "pass_fail": [q.text for q in tender.pass_fail.all()],
    }


def _save_tender(
    actor: Actor, tender: Tender, values: dict[str, Any], action: str, *, before: dict[str, Any]
) -> Tender:
    """Write a tender's fields, lots, criteria and questions, and audit the change."""
    for key, value in values.items():
        if key not in ("lots", "criteria", "pass_fail"):
            setattr(tender, key, value)
    tender.save()
    _write_children(tender, values)
    audit_record(
        actor=actor,
        action=action,
        object_type="tender",
        object_id=tender.id,
        object_repr=tender.title,
        before=before,
        after=_snapshot(values),
        organisation_id=tender.commissioner_id,
    )
    return tender


@transaction.atomic
def tender_publish(*, actor: Actor, tender_id: int, now: dt.datetime | None = None) -> Tender:
    """Publish a draft: the timeline must respect the procedure's minimum periods."""
    tender = _commissioner_tender(actor, tender_id, for_update=True)
    if tender.status != Tender.Status.DRAFT:
        raise Conflict("The tender is already published.")
    now = now or timezone.now()
    problems: list[Problem] = []
    dates = (tender.consortium_deadline, tender.clarification_deadline, tender.submission_deadline)
    if None in dates:
        problems.append(
            Problem(
                "Set the consortium, clarification and submission deadlines",
                column="submission_deadline",
            )
        )
    else:
        problems += check_timeline(
            tender.procedure,
            Timeline(now, *dates),  # type: ignore[arg-type]
            consortium_days=settings.CONSORTIUM_MIN_DAYS,
        )
    criteria = [Criterion(c.name, c.kind, c.weight) for c in tender.criteria.all()]
    problems += check_criteria(criteria, tender.social_value_reason)
    _fail("The tender cannot be published yet.", problems)
    tender.status, tender.published_at = Tender.Status.OPEN, now
    tender.save(update_fields=["status", "published_at", "updated_at"])
    audit_record(
        actor=actor,
        action="tender.publish",
        object_type="tender",
        object_id=tender.id,
        object_repr=tender.title,
        before={"status": "draft"},
        after={"status": "open", "published_at": now},
        organisation_id=tender.commissioner_id,
    )
    return tender


AMENDABLE = ("description", "clarification_deadline", "submission_deadline", "consortium_deadline")


@transaction.atomic
def tender_amend(
    *, actor: Actor, tender_id: int, summary: str, changes: dict[str, Any]
) -> Amendment:
    """Amend an open tender; record what changed and notify every interested organisation.

    Deadlines may only move later (bidders must never lose time they were promised).
    """
    tender = _commissioner_tender(actor, tender_id, for_update=True)
    if tender.status != Tender.Status.OPEN:
        raise Conflict("Only an open tender can be amended.")
    problems: list[Problem] = []
    summary = _text(summary, "summary", problems, max_length=MAX_TEXT)
    if not summary and not problems:
        problems.append(Problem("Say what changed and why", column="summary"))
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in AMENDABLE:
            problems.append(Problem(f"{key} cannot be amended after publication", column=key))
            continue
        if key == "description":
            before[key] = tender.description
            after[key] = _text(value, key, problems, max_length=MAX_TEXT)
            continue
        new = _datetime(value, key, problems)
        old = getattr(tender, key)
        if new is not None and old is not None and new < old:
            problems.append(Problem("A deadline can only move later", column=key))
        before[key], after[key] = old, new
    _fail("The amendment needs correcting.", problems)
    for key, value in after.items():
        setattr(tender, key, value)
    tender.save()
    interested = list(
        Interest.objects.filter(tender=tender).values_list("organisation_id", flat=True)
    )
    amendment = Amendment.objects.create(
        tender=tender,
        summary=summary,
        changes={k: [str(before[k]), str(after[k])] for k in after},
        notified=len(interested),
    )
    audit_record(
        actor=actor,
        action="tender.amend",
        object_type="tender",
        object_id=tender.id,
        object_repr=tender.title,
        before=before,
        after=after,
        organisation_id=tender.commissioner_id,
    )
    from fullvalue.web.tendering.tasks import notify_amendment

    transaction.on_commit(lambda: notify_amendment.enqueue(amendment.id))
    return amendment


def _provider(actor: Actor) -> int:
    """Check the actor takes part for a provider; return the organisation's id."""
    actor.require_can_write()
    require(policy.can_take_part, actor)
    if actor.organisation_id is None:
        raise PermissionDenied("Act for an organisation to take part.")
    return actor.organisation_id


def _open_tender(tender_id: int, now: dt.datetime) -> Tender:
    tender = Tender.objects.filter(id=tender_id).first()
    if tender is None or tender.status == Tender.Status.DRAFT:
        raise NotFound("No such tender.")
    if tender.status != Tender.Status.OPEN or deadline_passed(tender, now):
        raise Conflict("The tender is closed: the submission deadline has passed.")
    return tender


@transaction.atomic
def interest_register(*, actor: Actor, tender_id: int) -> Interest:
    """Register interest in a tender, to hear of amendments and answers."""
    org_id = _provider(actor)
    tender = _open_tender(tender_id, timezone.now())
    interest, created = Interest.objects.get_or_create(tender=tender, organisation_id=org_id)
    if created:
        audit_record(
            actor=actor,
            action="tender.interest",
            object_type="tender",
            object_id=tender.id,
            object_repr=tender.title,
            after={"interested_organisation": org_id},
        )
    return interest


@transaction.atomic
def clarification_ask(
    *, actor: Actor, tender_id: int, question: str, now: dt.datetime | None = None
) -> Clarification:
    """Ask a clarification question before the clarification deadline."""
    org_id = _provider(actor)
    now = now or timezone.now()
    tender = _open_tender(tender_id, now)
    if tender.clarification_deadline and now > tender.clarification_deadline:
        raise Conflict("Clarification questions have closed for this tender.")
    read = fields.Fields()
    question = read(fields.text, question, "question", max_length=5000, multiline=True) or ""
    read.check("Your question needs correcting.")
    if not question:
        raise FullvalueError.from_problems(
            "Enter your question.", [Problem("Enter your question", column="question")]
        )
    item = Clarification.objects.create(tender=tender, asked_by_id=org_id, question=question)
    audit_record(
        actor=actor,
        action="clarification.ask",
        object_type="clarification",
        object_id=item.id,
        object_repr=item.question[:100],
        after={"tender": tender.id, "question": item.question},
    )
    return item


@transaction.atomic
def clarification_answer(*, actor: Actor, clarification_id: int, answer: str) -> Clarification:
    """Answer a question and publish both to every bidder, without saying who asked."""
    item = Clarification.objects.select_related("tender").filter(id=clarification_id).first()
    if item is None:
        raise NotFound("No such question.")
    _commissioner_tender(actor, item.tender_id)
    read = fields.Fields()
    answer = read(fields.text, answer, "answer", max_length=MAX_TEXT, multiline=True) or ""
    read.check("The answer needs correcting.")
    if not answer:
        raise FullvalueError.from_problems(
            "Enter the answer.", [Problem("Enter the answer", column="answer")]
        )
    item.answer, item.published_at = answer.strip(), timezone.now()
    item.save(update_fields=["answer", "published_at"])
    audit_record(
        actor=actor,
        action="clarification.answer",
        object_type="clarification",
        object_id=item.id,
        object_repr=item.question[:100],
        after={"answer": item.answer},
        organisation_id=item.tender.commissioner_id,
    )
    return item


@transaction.atomic
def partner_interest_create(
    *, actor: Actor, lot_id: int, role_sought: str, offer: str
) -> PartnerInterest:
    """Partner finder: say you want to join a consortium for a lot, and what you bring."""
    org_id = _provider(actor)
    lot = Lot.objects.select_related("tender").filter(id=lot_id).first()
    if lot is None:
        raise NotFound("No such lot.")
    _open_tender(lot.tender_id, timezone.now())
    problems = []
    if role_sought not in ("lead", "member", "subcontractor"):
        problems.append(Problem("Choose lead, member or sub-contractor", column="role_sought"))
    offer = _text(offer, "offer", problems, max_length=2000)
    if not offer and not problems:
        problems.append(Problem("Say what your organisation brings", column="offer"))
    _fail("Your entry needs correcting.", problems)
    item, _ = PartnerInterest.objects.update_or_create(
        lot=lot,
        organisation_id=org_id,
        defaults={"role_sought": role_sought, "offer": offer},
    )
    audit_record(
        actor=actor,
        action="partner_interest.set",
        object_type="lot",
        object_id=lot.id,
        object_repr=str(lot),
        after={"role": role_sought},
    )
    return item


def _parties(rows: list[dict[str, Any]], lead_id: int, problems: list[Problem]) -> list[PartyShare]:
    parties = []
    for i, row in enumerate(rows):
        try:
            parties.append(
                PartyShare(
                    organisation_id=int(row["organisation_id"]),
                    role=str(row["role"]),
                    share_of_value=Decimal(str(row["share_of_value"])),
                    share_of_work=Decimal(str(row["share_of_work"])),
                    carries_working_capital=bool(row.get("carries_working_capital")),
                )
            )
        except (KeyError, ValueError, TypeError, InvalidOperation):
            problems.append(
                Problem(
                    "Each party needs an organisation, a role and shares",
                    location=f"parties[{i}]",
                    column="parties",
                )
            )
    if not rows:
        parties = [PartyShare(lead_id, "lead", Decimal(1), Decimal(1), True)]
    problems += check_parties(parties)
    if parties and not any(p.role == "lead" and p.organisation_id == lead_id for p in parties):
        problems.append(Problem("Your organisation must be the lead of its bid", column="parties"))
    known = org_selectors.existing_organisation_ids([p.organisation_id for p in parties])
    for p in parties:
        if p.organisation_id not in known:
            problems.append(
                Problem(f"Organisation {p.organisation_id} does not exist", column="parties")
            )
    return parties


#: The most a bid's answer to one quality question may hold (about 1,500 words).
MAX_ANSWER = fields.MAX_TEXT


def bid_texts(contents: dict[str, Any], problems: list[Problem]) -> dict[str, str]:
    """A bid's answers by criterion, each within ``MAX_ANSWER`` and free of control characters.

    Checked when a draft is saved as well as when a bid is submitted: text that is too long is
    refused with the question named, never cut.
    """
    read = fields.Fields(problems)
    raw = contents.get("answers") or {}
    if not isinstance(raw, dict):
        problems.append(Problem("Answers must be given question by question", column="answers"))
        return {}
    answers = {}
    for key, value in raw.items():
        text = read(
            fields.text,
            value if isinstance(value, str) else str(value),
            f"answers.{key}",
            max_length=MAX_ANSWER,
            multiline=True,
        )
        answers[str(key)] = text or ""
    return answers


def _validated(
    lot: Lot, org_id: int, contents: dict[str, Any], problems: list[Problem]
) -> tuple[dict[str, Any], list[PartyShare]]:
    """Check a bid's contents and parties for submission; return what is sealed and the shares."""
    lead = org_selectors.organisation_by_id(org_id)
    assert lead is not None  # the acting membership's organisation
    problems += rule_small_lot_income(lot.reserved_for_small, lead.annual_income)
    price = _money(contents.get("price"), "price", problems)
    criteria = {c.id: c for c in lot.tender.criteria.all()}
    answers = bid_texts(contents, problems)
    for cid, criterion in criteria.items():
        if criterion.kind == "quality" and not answers.get(str(cid), "").strip():
            problems.append(Problem(f"Answer “{criterion.name}”", column=f"answers.{cid}"))
    commitments = []
    for i, row in enumerate(contents.get("social_value") or []):
        try:
            quantity = Decimal(str(row["quantity"]))
            proxy = Decimal(str(row["proxy_value"]))
            if quantity < 0 or proxy < 0 or not (quantity.is_finite() and proxy.is_finite()):
                raise InvalidOperation
            commitments.append(
                {
                    "measure": fields.text(
                        row["measure"], "social_value.measure", max_length=200, required=True
                    ),
                    "unit": fields.text(row.get("unit"), "social_value.unit", max_length=50),
                    "quantity": str(quantity),
                    "proxy_value": str(proxy),
                }
            )
        except fields.FieldInvalid as exc:
            problems += [
                dataclasses.replace(p, location=f"social_value[{i}]", column="social_value")
                for p in exc.problems
            ]
        except (KeyError, InvalidOperation, TypeError):
            problems.append(
                Problem(
                    "A commitment needs a measure, a quantity and a proxy value of 0 or more",
                    location=f"social_value[{i}]",
                    column="social_value",
                )
            )
    pass_fail = {str(k): bool(v) for k, v in (contents.get("pass_fail") or {}).items()}
    for q in lot.tender.pass_fail.all():
        if str(q.id) not in pass_fail:
            problems.append(Problem(f"Answer yes or no: {q.text}", column=f"pass_fail.{q.id}"))
    declarations = contents.get("declarations") or {}
    if "exclusion_grounds" not in declarations:
        problems.append(
            Problem(
                "Declare whether any exclusion grounds apply",
                column="declarations.exclusion_grounds",
            )
        )
    shares = _parties(contents.get("parties") or [], org_id, problems)
    sealed = {
        "price": str(price),
        "answers": answers,
        "social_value": commitments,
        "pass_fail": pass_fail,
        "declarations": {
            "conflicts": str(declarations.get("conflicts") or ""),
            "exclusion_grounds": bool(declarations.get("exclusion_grounds")),
        },
        "parties": [_party_json(p) for p in shares],
    }
    return sealed, shares


def _party_json(p: PartyShare) -> dict[str, Any]:
    return {
        "organisation_id": p.organisation_id,
        "role": p.role,
        "share_of_value": str(p.share_of_value),
        "share_of_work": str(p.share_of_work),
        "carries_working_capital": p.carries_working_capital,
    }


def _working_bid(lot: Lot, org_id: int) -> Bid | None:
    """The organisation's bid for a lot (the newest, if earlier ones were replaced), locked."""
    return Bid.objects.select_for_update().filter(lot=lot, lead_id=org_id).order_by("-id").first()


def _bid_lot(lot_id: int, now: dt.datetime) -> Lot:
    lot = Lot.objects.select_related("tender").filter(id=lot_id).first()
    if lot is None or lot.tender.status == Tender.Status.DRAFT:
        raise NotFound("No such lot.")
    if lot.tender.status != Tender.Status.OPEN or deadline_passed(lot.tender, now):
        raise Conflict("Bids are closed: the submission deadline has passed.")
    return lot


def _draft_contents(contents: dict[str, Any], parties: list[dict[str, Any]]) -> dict[str, Any]:
    """A working copy as typed (incomplete is fine), shaped like the sealed contents."""
    keys = ("price", "answers", "social_value", "pass_fail", "declarations")
    return {**{k: contents[k] for k in keys if k in contents}, "parties": list(parties)}


def _sync_parties(bid: Bid, rows: list[dict[str, Any]]) -> None:
    """Name the organisations of the working copy and of the submitted version on the bid.

    Keeps each remaining organisation's confirmation (it is checked against the terms when the
    bid is submitted), so re-saving unchanged terms never asks a partner to confirm again.
    """
    roles = {bid.lead_id: "lead"}
    if bid.submitted_at is not None:
        for p in unseal(bid.sealed)["parties"]:
            roles.setdefault(int(p["organisation_id"]), str(p["role"]))
    for row in rows:
        share = party_share(row)
        if share is not None and share.organisation_id != bid.lead_id:
            roles[share.organisation_id] = share.role
    known = org_selectors.existing_organisation_ids(list(roles))
    roles = {k: v for k, v in roles.items() if k in known and v in BidParty.Role.values}
    existing = {p.organisation_id: p for p in bid.parties.all()}
    for org_id, party in existing.items():
        if org_id not in roles:
            party.delete()
        elif party.role != roles[org_id]:
            party.role = roles[org_id]
            party.save(update_fields=["role"])
    BidParty.objects.bulk_create(
        BidParty(bid=bid, organisation_id=org_id, role=role)
        for org_id, role in roles.items()
        if org_id not in existing
    )


@transaction.atomic
def bid_draft_save(
    *,
    actor: Actor,
    lot_id: int,
    contents: dict[str, Any],
    parties: list[dict[str, Any]] | None = None,
    now: dt.datetime | None = None,
) -> Bid:
    """Save the organisation's bid for a lot as a draft, complete or not, until the deadline.

    Any team member of the lead organisation (administrator or staff) may save; the draft is
    encrypted like a submitted bid and readable only by the lead's team and the organisations
    it names. A submitted bid stays as submitted (and sealed) until it is submitted again.
    """
    org_id = _provider(actor)
    now = now or timezone.now()
    lot = _bid_lot(lot_id, now)
    problems: list[Problem] = []
    bid_texts(contents, problems)
    if problems:
        raise FullvalueError.from_problems("The bid needs correcting.", problems)
    bid = _working_bid(lot, org_id)
    if bid is None:
        bid = Bid(lot=lot, lead_id=org_id, status=Bid.Status.DRAFT, sealed=b"")
    rows = list(parties or [])
    bid.draft, bid.draft_saved_at = seal(_draft_contents(contents, rows)), now
    bid.save()
    _sync_parties(bid, rows)
    # The audit trail records that a draft was saved, never its contents.
    audit_record(
        actor=actor,
        action="bid.draft_save",
        object_type="bid",
        object_id=bid.id,
        object_repr=str(lot),
        after={"status": bid.status},
    )
    return bid


@transaction.atomic
def bid_party_confirm(*, actor: Actor, bid_id: int, now: dt.datetime | None = None) -> BidParty:
    """A named consortium member or sub-contractor confirms its part as the bid now states it.

    Done by an administrator of the named organisation, before the deadline.
    """
    org_id = _provider(actor)
    require(policy.can_confirm_part, actor)
    now = now or timezone.now()
    party = (
        BidParty.objects.select_for_update()
        .select_related("bid__lot__tender")
        .filter(bid_id=bid_id, organisation_id=org_id)
        .exclude(role=BidParty.Role.LEAD)
        .first()
    )
    if party is None:
        raise NotFound("No such bid naming your organisation.")
    bid = party.bid
    _bid_lot(bid.lot_id, now)
    terms = working_terms(bid, org_id)
    if terms is None:
        raise Conflict("The lead has not finished describing your part yet.")
    party.confirmed_terms = seal(_party_json(terms))
    party.confirmed_at, party.confirmed_by_id = now, actor.user_id
    party.save(update_fields=["confirmed_terms", "confirmed_at", "confirmed_by"])
    audit_record(
        actor=actor,
        action="bid.confirm_part",
        object_type="bid",
        object_id=bid.id,
        object_repr=str(bid.lot),
        after={"organisation": org_id, "role": terms.role},
    )
    return party


@transaction.atomic
def bid_submit_draft(*, actor: Actor, bid_id: int, now: dt.datetime | None = None) -> Bid:
    """Submit the organisation's saved bid: an administrator submits what the team prepared.

    The submitted version replaces any earlier one and is the one sealed; every consortium
    member and sub-contractor must have confirmed its part first.
    """
    org_id = _provider(actor)
    require(policy.can_submit_bid, actor)
    now = now or timezone.now()
    found = Bid.objects.filter(id=bid_id, lead_id=org_id).select_related("lot").first()
    if found is None:
        raise NotFound("No such bid.")
    lot = _bid_lot(found.lot_id, now)
    bid = _working_bid(lot, org_id)
    if bid is None or bid.id != found.id:
        raise Conflict("A newer version of this bid exists: submit that one.")
    if bid.draft is None and bid.status == Bid.Status.SUBMITTED:
        raise Conflict("Nothing to submit: the submitted version has not changed.")
    problems: list[Problem] = []
    working = unseal(bid.draft if bid.draft is not None else bid.sealed)
    payload, shares = _validated(lot, org_id, working, problems)
    if not problems:
        confirmed = {
            p.organisation_id: part
            for p in bid.parties.all()
            if (part := confirmed_part(p)) is not None
        }
        names = org_selectors.organisation_names([p.organisation_id for p in shares])
        problems += check_partners_confirmed(shares, confirmed, names)
    _fail("Your bid needs correcting.", problems)
    resubmission = bid.submitted_at is not None
    for old in (
        Bid.objects.select_for_update()
        .filter(lot=lot, lead_id=org_id, status=Bid.Status.SUBMITTED)
        .exclude(id=bid.id)
    ):
        old.status, old.withdrawn_at = Bid.Status.WITHDRAWN, now
        old.save(update_fields=["status", "withdrawn_at"])
    before = {"status": bid.status}
    bid.sealed, bid.draft, bid.draft_saved_at = seal(payload), None, None
    bid.status, bid.submitted_at, bid.withdrawn_at = Bid.Status.SUBMITTED, now, None
    bid.save()
    named = {p.organisation_id for p in shares}
    bid.parties.exclude(organisation_id__in=named).delete()
    # The audit trail records that a bid was submitted, never its sealed contents.
    audit_record(
        actor=actor,
        action="bid.submit",
        object_type="bid",
        object_id=bid.id,
        object_repr=str(lot),
        before=before,
        after={"status": bid.status, "resubmission": resubmission},
    )
    return bid


@transaction.atomic
def bid_submit(
    *,
    actor: Actor,
    lot_id: int,
    contents: dict[str, Any],
    parties: list[dict[str, Any]] | None = None,
    now: dt.datetime | None = None,
) -> Bid:
    """Save and submit (or resubmit) a bid for a lot in one step; contents are sealed.

    ``contents``: ``price`` (GBP), ``answers`` (criterion id -> text), ``social_value``
    (list of commitments: ``measure``, ``unit``, ``quantity``, ``proxy_value`` GBP per unit),
    ``pass_fail`` (question id -> true/false), ``declarations`` (``conflicts`` text,
    ``exclusion_grounds`` true/false). ``parties``: the lead, consortium members and
    sub-contractors with their shares of value and work and who carries working capital; each
    partner must already have confirmed exactly that part (see :func:`bid_party_confirm`).
    A resubmission replaces the organisation's earlier version, which is no longer sealed.
    """
    _provider(actor)
    require(policy.can_submit_bid, actor)
    bid = bid_draft_save(actor=actor, lot_id=lot_id, contents=contents, parties=parties, now=now)
    return bid_submit_draft(actor=actor, bid_id=bid.id, now=now)


@transaction.atomic
def bid_withdraw(*, actor: Actor, bid_id: int, now: dt.datetime | None = None) -> Bid:
    """Withdraw a submitted bid before the deadline."""
    org_id = _provider(actor)
    now = now or timezone.now()
    bid = Bid.objects.select_for_update().select_related("lot__tender").filter(id=bid_id).first()
    if bid is None or bid.lead_id != org_id:
        raise NotFound("No such bid.")
    if deadline_passed(bid.lot.tender, now):
        raise Conflict("The deadline has passed: the bid can no longer be withdrawn.")
    if bid.status != Bid.Status.SUBMITTED:
        raise Conflict("The bid is not submitted.")
    before = {"status": bid.status, "withdrawn_at": None}
    bid.status, bid.withdrawn_at = Bid.Status.WITHDRAWN, now
    bid.save(update_fields=["status", "withdrawn_at"])
    audit_record(
        actor=actor,
        action="bid.withdraw",
        object_type="bid",
        object_id=bid.id,
        object_repr=str(bid.lot),
        before=before,
        after={"status": bid.status, "withdrawn_at": now},
    )
    return bid


@transaction.atomic
def tender_close(*, actor: Actor, tender_id: int, now: dt.datetime | None = None) -> Tender:
    """Move an open tender to evaluation once its deadline has passed."""
    tender = _commissioner_tender(actor, tender_id, for_update=True)
    if tender.status != Tender.Status.OPEN:
        raise Conflict("Only an open tender can be closed.")
    if not deadline_passed(tender, now):
        raise Conflict("The submission deadline has not passed yet.")
    tender.status = Tender.Status.EVALUATION
    tender.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="tender.close",
        object_type="tender",
        object_id=tender.id,
        object_repr=tender.title,
        before={"status": "open"},
        after={"status": "evaluation"},
        organisation_id=tender.commissioner_id,
    )
    return tender


@transaction.atomic
def panel_assign(
    *, actor: Actor, tender_id: int, evaluator_membership_id: int
) -> EvaluatorAssignment:
    """Put an evaluator from the commissioning organisation on the tender's panel."""
    tender = _commissioner_tender(actor, tender_id)
    member = active_membership(evaluator_membership_id)
    if (
        member is None
        or member.role != Role.EVALUATOR
        or (member.organisation_id != tender.commissioner_id)
    ):
        raise FullvalueError.from_problems(
            "Choose an evaluator from the commissioning organisation.",
            [
                Problem(
                    "Choose an evaluator from the commissioning organisation", column="evaluator"
                )
            ],
        )
    assignment, _ = EvaluatorAssignment.objects.get_or_create(tender=tender, evaluator=member)
    audit_record(
        actor=actor,
        action="panel.assign",
        object_type="tender",
        object_id=tender.id,
        object_repr=tender.title,
        after={"evaluator": member.user_id},
        organisation_id=tender.commissioner_id,
    )
    return assignment


def _membership_id(actor: Actor) -> int:
    if actor.membership_id is None:
        raise PermissionDenied("Moderation is done by a person acting in a role.")
    return actor.membership_id


def _assignment(actor: Actor, tender_id: int) -> EvaluatorAssignment:
    require(policy.can_score, actor)
    assignment = (
        EvaluatorAssignment.objects.select_related("tender")
        .filter(tender_id=tender_id, evaluator_id=actor.membership_id)
        .first()
    )
    if assignment is None:
        raise PermissionDenied("You are not on this tender's evaluation panel.")
    return assignment


@transaction.atomic
def conflict_declare(
    *, actor: Actor, tender_id: int, has_conflict: bool, detail: str = ""
) -> EvaluatorAssignment:
    """Declare conflicts of interest before seeing any bid; a conflict stops you scoring."""
    actor.require_can_write()
    assignment = _assignment(actor, tender_id)
    if assignment.declared_at is not None:
        raise Conflict("You have already declared; ask the commissioner to change it.")
    if has_conflict and not detail.strip():
        raise FullvalueError.from_problems(
            "Describe the conflict.", [Problem("Describe the conflict", column="detail")]
        )
    assignment.declared_at = timezone.now()
    assignment.has_conflict, assignment.conflict_detail = has_conflict, detail.strip()
    assignment.save()
    audit_record(
        actor=actor,
        action="conflict.declare",
        object_type="tender",
        object_id=tender_id,
        object_repr=assignment.tender.title,
        after={"has_conflict": has_conflict, "detail": detail.strip()},
    )
    return assignment


@transaction.atomic
def scores_submit(*, actor: Actor, bid_id: int, scores: dict[int, tuple[int, str]]) -> list[Score]:
    """Submit your independent scores (0-5 with a reason) for every quality criterion of a bid.

    Price and social value are scored by formula. Changing a submitted score is allowed until
    moderation, and every change is in the audit trail.
    """
    actor.require_can_write()
    bid = Bid.objects.select_related("lot__tender").filter(id=bid_id).first()
    if bid is None:
        raise NotFound("No such bid.")
    tender = bid.lot.tender
    assignment = _assignment(actor, tender.id)
    if assignment.declared_at is None:
        raise PermissionDenied("Declare your conflicts of interest before scoring.")
    if assignment.has_conflict:
        raise PermissionDenied("You declared a conflict of interest, so you cannot score.")
    if tender.status != Tender.Status.EVALUATION:
        raise Conflict("Scoring opens when the tender closes and ends at award.")
    if Consensus.objects.filter(bid=bid).exists():
        raise Conflict("Moderation has started for this bid; scores are closed.")
    quality = {c.id: c for c in tender.criteria.filter(kind="quality")}
    problems = []
    for cid, criterion in quality.items():
        if cid not in scores:
            problems.append(Problem(f"Score “{criterion.name}”", column=f"score.{cid}"))
    for cid, (value, reason) in scores.items():
        if cid not in quality:
            problems.append(
                Problem("That criterion is not scored by evaluators", column=f"score.{cid}")
            )
            continue
        problems += rule_score_on_the_scale(value, column=f"score.{cid}")
        if not str(reason).strip():
            problems.append(Problem("Give a reason for the score", column=f"reason.{cid}"))
    _fail("Your scores need correcting.", problems)
    now, saved = timezone.now(), []
    for cid, (value, reason) in scores.items():
        existing = Score.objects.filter(assignment=assignment, bid=bid, criterion_id=cid).first()
        before = {"score": existing.score, "reason": existing.reason} if existing else {}
        score, _ = Score.objects.update_or_create(
            assignment=assignment,
            bid=bid,
            criterion_id=cid,
            defaults={"score": value, "reason": str(reason).strip(), "submitted_at": now},
        )
        audit_record(
            actor=actor,
            action="score.submit",
            object_type="score",
            object_id=score.id,
            object_repr=f"bid {bid.id} / {quality[cid].name}",
            before=before,
            after={"score": value, "reason": score.reason},
            organisation_id=tender.commissioner_id,
        )
        saved.append(score)
    return saved


@transaction.atomic
def consensus_set(
    *, actor: Actor, bid_id: int, criterion_id: int, score: int, reason: str
) -> Consensus:
    """Record the moderated consensus score for a criterion, once every evaluator has scored."""
    bid = Bid.objects.select_related("lot__tender").filter(id=bid_id).first()
    if bid is None:
        raise NotFound("No such bid.")
    tender = _commissioner_tender(actor, bid.lot.tender_id)
    if tender.status != Tender.Status.EVALUATION:
        raise Conflict("Moderation happens during evaluation.")
    criterion = tender.criteria.filter(id=criterion_id, kind="quality").first()
    if criterion is None:
        raise NotFound("No such quality criterion.")
    panel = EvaluatorAssignment.objects.filter(
        tender=tender, has_conflict=False, declared_at__isnull=False
    )
    missing = [
        a
        for a in panel
        if not Score.objects.filter(
            assignment=a, bid=bid, criterion=criterion, submitted_at__isnull=False
        ).exists()
    ]
    problems = []
    if not panel.exists():
        problems.append(Problem("No evaluator has scored yet", column="score"))
    if missing:
        problems.append(
            Problem(f"{len(missing)} evaluator(s) have not scored this yet", column="score")
        )
    problems += rule_score_on_the_scale(int(score), column="score")
    if not reason.strip():
        problems.append(Problem("Record the reason for the consensus score", column="reason"))
    _fail("The consensus cannot be recorded yet.", problems)
    existing = Consensus.objects.filter(bid=bid, criterion=criterion).first()
    before = {"score": existing.score, "reason": existing.reason} if existing else {}
    item, _ = Consensus.objects.update_or_create(
        bid=bid,
        criterion=criterion,
        defaults={
            "score": int(score),
            "reason": reason.strip(),
            "moderator_id": _membership_id(actor),
        },
    )
    audit_record(
        actor=actor,
        action="consensus.set",
        object_type="consensus",
        object_id=item.id,
        object_repr=f"bid {bid.id} / {criterion.name}",
        before=before,
        after={"score": int(score), "reason": item.reason},
        organisation_id=tender.commissioner_id,
    )
    return item


@transaction.atomic
def award_decide(*, actor: Actor, lot_id: int, notice_date: dt.date | None = None) -> Award:
    """Award a lot to the highest-ranked compliant bid and start the standstill period."""
    lot = Lot.objects.select_related("tender").filter(id=lot_id).first()
    if lot is None:
        raise NotFound("No such lot.")
    tender = _commissioner_tender(actor, lot.tender_id, for_update=True)
    if tender.status not in (Tender.Status.EVALUATION, Tender.Status.STANDSTILL):
        raise Conflict("Lots are awarded after evaluation.")
    if Award.objects.filter(lot=lot).exists():
        raise Conflict("This lot has already been awarded.")
    results = lot_results(lot)
    if results.problems:
        raise FullvalueError.from_problems(
            "The lot cannot be awarded yet.", results.problems, code="conflict"
        )
    winner = results.winner
    if winner is None:
        raise Conflict("No compliant bid: the lot cannot be awarded (consider re-tendering).")
    published = notice_date or timezone.localdate()
    # An award recorded for an earlier notice day (a migrated or demo award) is dated that day,
    # so the award's date in open data is the day it was decided, not the day it was entered.
    decided_at = (
        timezone.now()
        if published == timezone.localdate()
        else timezone.make_aware(dt.datetime.combine(published, dt.time(12)))
    )
    award = Award.objects.create(
        lot=lot,
        bid_id=winner,
        decided_at=decided_at,
        notice_published_on=published,
        standstill_ends_on=standstill_end(published),
        results=results.as_json(),
    )
    if not tender.lots.filter(award__isnull=True).exists():
        tender.status = Tender.Status.STANDSTILL
        tender.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="award.decide",
        object_type="award",
        object_id=award.id,
        object_repr=str(lot),
        after={"bid": winner, "standstill_ends_on": award.standstill_ends_on},
        organisation_id=tender.commissioner_id,
    )
    return award


@transaction.atomic
def award_confirm(*, actor: Actor, lot_id: int, today: dt.date | None = None) -> Contract:
    """After standstill, confirm the award and create the contract with its supply chain."""
    award = (
        Award.objects.select_related("lot__tender__programme", "bid").filter(lot_id=lot_id).first()
    )
    if award is None:
        raise NotFound("The lot has not been awarded.")
    tender = _commissioner_tender(actor, award.lot.tender_id, for_update=True)
    today = today or timezone.localdate()
    if today <= award.standstill_ends_on:
        raise Conflict(f"The standstill period runs until {award.standstill_ends_on:%d %B %Y}.")
    if award.status == Award.Status.CONFIRMED:
        raise Conflict("The award is already confirmed.")
    contents = unseal(award.bid.sealed)
    contract = contract_services.contract_from_award(
        actor=actor,
        award_id=award.id,
        commissioner_id=tender.commissioner_id,
        provider_id=award.bid.lead_id,
        title=f"{tender.title} — {award.lot.title}",
        value=Decimal(contents["price"]),
        mechanism_toml=tender.programme.mechanism_toml,
        parties=contents["parties"],
    )
    socialvalue_services.commitments_from_award(
        actor=actor,
        contract_id=contract.id,
        award_id=award.id,
        commitments=contents.get("social_value") or [],
    )
    award.status = Award.Status.CONFIRMED
    award.save(update_fields=["status"])
    if not Award.objects.filter(lot__tender=tender).exclude(status="confirmed").exists() and (
        not tender.lots.filter(award__isnull=True).exists()
    ):
        tender.status = Tender.Status.AWARDED
        tender.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="award.confirm",
        object_type="contract",
        object_id=contract.id,
        object_repr=contract.title,
        after={"provider": contract.provider_id, "value": contract.value},
        organisation_id=tender.commissioner_id,
    )
    return contract
