"""Tender pages.

The list, a tender (with clarifications, bids, results and award), the bid form, the evaluation
panel, moderation, the partner finder and feedback letters.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from fullvalue.domain.calendar import standstill_end
from fullvalue.domain.evaluation import SCALE
from fullvalue.domain.organisations import REGIONS
from fullvalue.domain.roles import Role
from fullvalue.domain.tendering import ROLE_WORDS, describe_part
from fullvalue.errors import FullvalueError, NotFound
from fullvalue.web.accounts.selectors import evaluators_of
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.exports import table_response
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.pages import page, signin_required
from fullvalue.web.kernel.policy import require
from fullvalue.web.organisations.selectors import organisation_names, voluntary_organisations
from fullvalue.web.programmes.selectors import programme_get
from fullvalue.web.tendering import partnering, policy, selectors
from fullvalue.web.tendering import services as svc
from fullvalue.web.tendering.documents import (
    DOCUMENT_TYPES,
    MAX_BYTES,
    document_add,
    document_get,
)
from fullvalue.web.tendering.feedback import feedback_letter, feedback_pdf
from fullvalue.web.tendering.models import (
    Award,
    Consensus,
    EvaluatorAssignment,
    Lot,
    PartnerInterest,
    Score,
)
from fullvalue.web.tendering.results import lot_results

PARTNER_ROWS = 3
SV_ROWS = 3


def tender_list(request: HttpRequest) -> HttpResponse:
    """Tenders at every stage; CSV/XLSX download."""
    actor = request.actor  # type: ignore[attr-defined]
    tenders = list(selectors.tender_list(actor))
    fmt = request.GET.get("format")
    if fmt:
        return table_response(
            fmt,
            "tenders",
            [
                "reference",
                "title",
                "commissioner",
                "procedure",
                "status",
                "submission_deadline",
                "lots",
            ],
            [
                [
                    t.reference,
                    t.title,
                    t.commissioner.name,
                    t.get_procedure_display(),
                    t.get_status_display(),
                    t.submission_deadline,
                    len(t.lots.all()),
                ]
                for t in tenders
            ],
        )
    return page(request, "tendering/list.html", "Tenders", tenders=tenders, nav_active="tenders")


def tender_detail(request: HttpRequest, tender_id: int) -> HttpResponse:
    """A tender: timeline, lots, criteria, questions; bids and results for those allowed."""
    actor = request.actor  # type: ignore[attr-defined]
    tender = selectors.tender_get(actor, tender_id)
    passed = selectors.deadline_passed(tender)
    commissioner_side = selectors.is_commissioner_side(actor, tender) or actor.role in (
        Role.AUDITOR,
        Role.SYSTEM_ADMIN,
    )
    lots = []
    for lot in tender.lots.all():
        visible = selectors.bids_for_lot(actor, lot)
        results = lot_results(lot) if passed and commissioner_side and visible else None
        award = Award.objects.filter(lot=lot).select_related("bid__lead").first()
        lots.append(
            {
                "lot": lot,
                "bids": visible,
                "results": results,
                "award": award,
                # The contract is created from the award the day after standstill ends.
                "contract_from": award.standstill_ends_on + dt.timedelta(days=1) if award else None,
                "may_confirm": bool(award and timezone.localdate() > award.standstill_ends_on),
                "partners": list(lot.partner_interests.select_related("organisation")),
                "mine": selectors.bid_for_lot(actor, lot),
                "blockers": selectors.bid_blockers(actor, lot)
                if actor.role in selectors.PROVIDER_ROLES
                else [],
            }
        )
    state = FormState()
    if request.method == "POST":
        if request.POST.get("action") == "award" and request.POST.get("sure") != "yes":
            return _award_check(request, tender, lots)
        state = _tender_action(request, tender, state)
        if not state.errors:
            return redirect("tender-detail", tender_id=tender.id)
    evaluators = (
        evaluators_of(tender.commissioner_id, excluding_tender_id=tender.id)
        if selectors.is_commissioner_side(actor, tender)
        else []
    )
    return page(
        request,
        "tendering/detail.html",
        tender.title,
        state=state,
        tender=tender,
        lots=lots,
        evaluators=evaluators,
        documents=list(tender.documents.defer("content")),
        document_types=list(DOCUMENT_TYPES.items()),
        panel=list(tender.panel.select_related("evaluator__user")),
        passed=passed,
        commissioner_side=commissioner_side,
        clarifications=list(selectors.published_clarifications(tender)),
        unanswered=list(tender.clarifications.filter(published_at__isnull=True))
        if selectors.is_commissioner_side(actor, tender)
        else [],
        amendments=list(tender.amendments.all()),
        is_provider=actor.role in (Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF),
        is_panel=EvaluatorAssignment.objects.filter(
            tender=tender, evaluator_id=actor.membership_id
        ).exists(),
        nav_active="tenders",
    )


def _award_check(request: HttpRequest, tender: Any, lots: list[dict]) -> HttpResponse:
    """Ask the commissioner to confirm an award: who wins, and when standstill ends."""
    actor = request.actor  # type: ignore[attr-defined]
    if not (selectors.is_commissioner_side(actor, tender) and actor.role == Role.COMMISSIONER):
        raise FullvalueError(
            "Only the tender's commissioner can award.", code="permission-denied", status=403
        )
    lot_id = request.POST.get("lot", "")
    item = next((i for i in lots if str(i["lot"].id) == lot_id), None)
    if item is None or item["award"] is not None:
        raise NotFound("No lot waiting for an award.")
    results = item["results"] or lot_results(item["lot"])
    winner = next((b for b in item["bids"] if b.id == results.winner), None)
    today = timezone.localdate()
    return page(
        request,
        "tendering/award_confirm.html",
        f"Award {item['lot'].title}",
        tender=tender,
        lot=item["lot"],
        winner=winner,
        standstill_ends=standstill_end(today),
        nav_active="tenders",
    )


def _tender_action(request: HttpRequest, tender: Any, state: FormState) -> FormState:
    actor = request.actor  # type: ignore[attr-defined]
    action = request.POST.get("action")
    state = FormState.from_post(request.POST)
    try:
        if action == "interest":
            svc.interest_register(actor=actor, tender_id=tender.id)
            messages.success(request, "You will be told of any amendment.")
        elif action == "ask":
            svc.clarification_ask(
                actor=actor, tender_id=tender.id, question=state.values.get("question", "")
            )
            messages.success(
                request,
                "Your question has been sent. Answers are published "
                "to all bidders without saying who asked.",
            )
        elif action == "answer":
            svc.clarification_answer(
                actor=actor,
                clarification_id=fields.identifier(
                    state.values.get("clarification", ""), "clarification"
                ),
                answer=state.values.get("answer", ""),
            )
            messages.success(request, "The answer has been published.")
        elif action == "partner":
            svc.partner_interest_create(
                actor=actor,
                lot_id=fields.identifier(state.values.get("lot", ""), "lot"),
                role_sought=state.values.get("role_sought", ""),
                offer=state.values.get("offer", ""),
            )
            messages.success(request, "You are listed in the partner finder for that lot.")
        elif action == "publish":
            svc.tender_publish(actor=actor, tender_id=tender.id)
            messages.success(request, "The tender is published.")
        elif action == "document":
            upload = request.FILES.get("file")
            if upload is None:
                state.add_error("file", "Choose a file to upload")
                return state
            document_add(
                actor=actor,
                tender_id=tender.id,
                title=state.values.get("title", ""),
                document_type=state.values.get("document_type", ""),
                filename=upload.name or "",
                content=upload.read(MAX_BYTES + 1),
            )
            messages.success(request, "The document has been added.")
        elif action == "amend":
            new_deadline = state.values.get("new_submission_deadline", "")
            svc.tender_amend(
                actor=actor,
                tender_id=tender.id,
                summary=state.values.get("summary", ""),
                changes={"submission_deadline": new_deadline} if new_deadline else {},
            )
            messages.success(request, "The amendment is published and bidders are told.")
        elif action == "panel":
            svc.panel_assign(
                actor=actor,
                tender_id=tender.id,
                evaluator_membership_id=fields.identifier(
                    state.values.get("evaluator", ""), "evaluator"
                ),
            )
            messages.success(request, "The evaluator has been added to the panel.")
        elif action == "close":
            svc.tender_close(actor=actor, tender_id=tender.id)
            messages.success(request, "Bids are unsealed: evaluation has started.")
        elif action == "award":
            svc.award_decide(
                actor=actor, lot_id=fields.identifier(state.values.get("lot", ""), "lot")
            )
            messages.success(
                request,
                "Awarded. The standstill period has started and every "
                "bidder can read its feedback.",
            )
        elif action == "confirm":
            contract = svc.award_confirm(
                actor=actor, lot_id=fields.identifier(state.values.get("lot", ""), "lot")
            )
            messages.success(request, f"Contract created: {contract.title}.")
        else:
            state.add_error("__all__", "Choose an action.")
    except FullvalueError as exc:
        state.absorb(exc)
    return state


def _bid_form_values(request: HttpRequest, tender: Any) -> tuple[FormState, dict, list]:
    state = FormState.from_post(request.POST)
    v = state.values
    quality = tender.criteria.filter(kind="quality")
    contents = {
        "price": v.get("price", ""),
        "answers": {str(c.id): v.get(f"answer_{c.id}", "") for c in quality},
        "social_value": [
            {
                "measure": v.get(f"sv_measure_{i}", ""),
                "unit": v.get(f"sv_unit_{i}", ""),
                "quantity": v.get(f"sv_quantity_{i}", ""),
                "proxy_value": v.get(f"sv_proxy_{i}", ""),
            }
            for i in range(SV_ROWS)
            if v.get(f"sv_measure_{i}")
        ],
        "pass_fail": {
            str(q.id): v.get(f"pf_{q.id}") == "yes"
            for q in tender.pass_fail.all()
            if v.get(f"pf_{q.id}") in ("yes", "no")
        },
        "declarations": {"conflicts": v.get("conflicts", "")},
    }
    if v.get("exclusion_grounds") in ("yes", "no"):
        contents["declarations"]["exclusion_grounds"] = v["exclusion_grounds"] == "yes"
    actor = request.actor  # type: ignore[attr-defined]
    parties = []
    partners = [i for i in range(PARTNER_ROWS) if v.get(f"partner_{i}")]
    if partners:
        parties.append(
            {
                "organisation_id": actor.organisation_id,
                "role": "lead",
                "share_of_value": _share(v.get("lead_value")),
                "share_of_work": _share(v.get("lead_work")),
                "carries_working_capital": v.get("working_capital") == "lead",
            }
        )
        for i in partners:
            parties.append(
                {
                    "organisation_id": v.get(f"partner_{i}"),
                    "role": v.get(f"partner_role_{i}", "member"),
                    "share_of_value": _share(v.get(f"partner_value_{i}")),
                    "share_of_work": _share(v.get(f"partner_work_{i}")),
                    "carries_working_capital": v.get("working_capital") == str(i),
                }
            )
    return state, contents, parties


def _share(percent: str | None) -> str:
    """A percentage typed on the page ("30", "12.5") as a share ("0.3"), exactly (Decimal)."""
    try:
        return str(fields.number(percent or "", "share") / 100)
    except fields.FieldInvalid:
        return "x"  # the service names the field


def _percent(share: Any) -> str:
    """A stored share 0-1 -> the percentage shown in the form (the inverse of :func:`_share`)."""
    try:
        return f"{(Decimal(str(share)) * 100).normalize():f}"
    except InvalidOperation:
        return str(share or "")


def _shown_percent(share: Any) -> str:
    percent = _percent(share)
    return f"{percent}%" if percent else "Not given yet"


def _form_values(contents: dict[str, Any], lead_id: int) -> dict[str, str]:
    """A saved bid (draft or submitted) as the form's fields, so it opens where it was left."""
    values: dict[str, str] = {"price": str(contents.get("price") or "")}
    for cid, text in (contents.get("answers") or {}).items():
        values[f"answer_{cid}"] = str(text)
    for i, row in enumerate((contents.get("social_value") or [])[:SV_ROWS]):
        values.update(
            {
                f"sv_measure_{i}": str(row.get("measure", "")),
                f"sv_unit_{i}": str(row.get("unit", "")),
                f"sv_quantity_{i}": str(row.get("quantity", "")),
                f"sv_proxy_{i}": str(row.get("proxy_value", "")),
            }
        )
    for qid, answer in (contents.get("pass_fail") or {}).items():
        values[f"pf_{qid}"] = "yes" if answer else "no"
    declarations = contents.get("declarations") or {}
    values["conflicts"] = str(declarations.get("conflicts") or "")
    if "exclusion_grounds" in declarations:
        values["exclusion_grounds"] = "yes" if declarations["exclusion_grounds"] else "no"
    partners = [p for p in contents.get("parties") or [] if str(p.get("role")) != "lead"]
    for p in contents.get("parties") or []:
        if str(p.get("role")) == "lead" and str(p.get("organisation_id")) == str(lead_id):
            values["lead_value"] = _percent(p.get("share_of_value"))
            values["lead_work"] = _percent(p.get("share_of_work"))
            if p.get("carries_working_capital"):
                values["working_capital"] = "lead"
    for i, p in enumerate(partners[:PARTNER_ROWS]):
        values.update(
            {
                f"partner_{i}": str(p.get("organisation_id") or ""),
                f"partner_role_{i}": str(p.get("role") or ""),
                f"partner_value_{i}": _percent(p.get("share_of_value")),
                f"partner_work_{i}": _percent(p.get("share_of_work")),
            }
        )
        if p.get("carries_working_capital"):
            values["working_capital"] = str(i)
    return values


def _bid_errors(state: FormState, exc: FullvalueError) -> None:
    for p in exc.problems:
        column = (p.column or "__all__").replace(".", "_")
        if column.startswith("answers_"):
            column = "answer_" + column.split("_", 1)[1]
        if column.startswith("declarations_"):
            column = column.split("_", 1)[1]
        if column.startswith("pass_fail_"):
            column = "pf_" + column.rsplit("_", 1)[1]
        if column in ("share_of_value", "share_of_work", "carries_working_capital"):
            column = "parties"
        if column == "lot":
            column = "__all__"
        state.add_error(column, p.reason)
    if not exc.problems:
        state.add_error("__all__", exc.message)


@signin_required
def bid_form(request: HttpRequest, lot_id: int) -> HttpResponse:
    """Prepare a bid for a lot (alone or as a consortium lead): save a draft, or submit it.

    Opens where the team left it (the saved draft, else the submitted version). Whoever cannot
    submit is told why before filling anything in.
    """
    actor = request.actor  # type: ignore[attr-defined]
    lot = Lot.objects.select_related("tender").filter(id=lot_id).first()
    if lot is None:
        raise NotFound("No such lot.")
    tender = selectors.tender_get(actor, lot.tender_id)
    bid = selectors.bid_for_lot(actor, lot)
    state = FormState(
        values=_form_values(selectors.bid_contents(actor, bid), actor.organisation_id)
        if bid is not None
        else {}
    )
    saved = None
    if request.method == "POST":
        state, contents, parties = _bid_form_values(request, tender)
        submit = request.POST.get("action") == "submit"
        try:
            saved = svc.bid_draft_save(
                actor=actor, lot_id=lot.id, contents=contents, parties=parties
            )
            if submit:
                svc.bid_submit_draft(actor=actor, bid_id=saved.id)
        except FullvalueError as exc:
            _bid_errors(state, exc)
            if saved is not None:
                # Nothing typed is lost: what was refused for submission is kept as a draft.
                bid = selectors.bid_for_lot(actor, lot)
        else:
            messages.success(
                request,
                "Your bid is submitted and sealed until the deadline. You can change and "
                "resubmit it, or withdraw it, until then."
                if submit
                else "Your draft is saved. Your team and the partners it names can read it; "
                "nobody at the commissioner can.",
            )
            return redirect("bid-detail", bid_id=saved.id)
    organisations = voluntary_organisations(excluding=actor.organisation_id)
    return page(
        request,
        "tendering/bid_form.html",
        f"Bid for {lot}",
        state=state,
        lot=lot,
        tender=tender,
        bid=bid,
        kept_as_draft=saved is not None and bool(state.errors),
        blockers=selectors.bid_blockers(actor, lot),
        quality=list(tender.criteria.filter(kind="quality")),
        pass_fail=list(tender.pass_fail.all()),
        sv_rows=range(SV_ROWS),
        partner_rows=range(PARTNER_ROWS),
        organisations=[(str(i), n) for i, n in organisations],
        nav_active="tenders",
    )


def _party_rows(
    bid: Any, rows: list[dict[str, Any]], names: dict[int, str], confirmations: dict[int, bool]
) -> list[dict[str, Any]]:
    """The bid's organisations in plain words, for its page."""
    if not rows:
        rows = [
            {
                "organisation_id": bid.lead_id,
                "role": "lead",
                "share_of_value": "1",
                "share_of_work": "1",
                "carries_working_capital": True,
            }
        ]
        names = {**names, bid.lead_id: bid.lead.name}
    out = []
    for r in rows:
        oid = fields.whole_or(str(r.get("organisation_id")), 0) or None
        role = str(r.get("role") or "")
        confirmed = (
            "Leads the bid"
            if role == "lead"
            else ("Yes" if confirmations.get(oid or 0) else "Not yet")
        )
        out.append(
            {
                "name": names.get(oid or 0, "Organisation not chosen yet"),
                "part": ROLE_WORDS.get(role, role or "Not chosen yet").capitalize(),
                "value": _shown_percent(r.get("share_of_value")),
                "work": _shown_percent(r.get("share_of_work")),
                "working_capital": bool(r.get("carries_working_capital")),
                "confirmed": confirmed,
            }
        )
    return out


@signin_required
def bid_detail(request: HttpRequest, bid_id: int) -> HttpResponse:
    """A bid: sealed to all but its parties until the deadline; drafts only ever to its parties.

    The lead's team edits it; an administrator submits; a named partner's administrator
    confirms its part here.
    """
    actor = request.actor  # type: ignore[attr-defined]
    bid = selectors.bid_get(actor, bid_id)
    state = FormState()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "withdraw":
                svc.bid_withdraw(actor=actor, bid_id=bid.id)
                messages.success(request, "Your bid has been withdrawn.")
                return redirect("tender-detail", tender_id=bid.lot.tender_id)
            if action == "confirm":
                svc.bid_party_confirm(actor=actor, bid_id=bid.id)
                messages.success(
                    request,
                    f"You have confirmed your part. {bid.lead.name} can now submit the bid.",
                )
            elif action == "submit":
                svc.bid_submit_draft(actor=actor, bid_id=bid.id)
                messages.success(
                    request,
                    "Your bid is submitted and sealed until the deadline. You can change and "
                    "resubmit it, or withdraw it, until then.",
                )
            return redirect("bid-detail", bid_id=bid.id)
        except FullvalueError as exc:
            state.absorb(exc)
            bid = selectors.bid_get(actor, bid_id)
    contents = selectors.bid_contents(actor, bid)
    criteria = {str(c.id): c for c in bid.lot.tender.criteria.all()}
    rows = [r for r in contents.get("parties") or [] if isinstance(r, dict)]
    ids = [i for r in rows if (i := fields.whole_or(str(r.get("organisation_id")), 0))]
    names = organisation_names(ids)
    is_party = any(p.organisation_id == actor.organisation_id for p in bid.parties.all()) and (
        actor.role in selectors.PROVIDER_ROLES
    )
    confirmations = selectors.party_confirmations(bid) if is_party else {}
    is_lead_team = bid.lead_id == actor.organisation_id and actor.role in selectors.PROVIDER_ROLES
    passed = selectors.deadline_passed(bid.lot.tender)
    my_part = (
        selectors.working_terms(bid, actor.organisation_id)
        if is_party and not is_lead_team
        else None
    )
    return page(
        request,
        "tendering/bid.html",
        f"Bid {bid.id}: {bid.lot}",
        state=state,
        bid=bid,
        contents=contents,
        party_rows=_party_rows(bid, rows, names, confirmations),
        criteria=criteria,
        role_words=ROLE_WORDS,
        confirmations=confirmations,
        waiting=[names.get(oid, "a partner") for oid, done in confirmations.items() if not done],
        is_lead_team=is_lead_team,
        is_draft_view=bid.draft is not None and is_party,
        my_part=my_part,
        my_part_words=describe_part(my_part) if my_part else "",
        blockers=selectors.bid_blockers(actor, bid.lot) if is_lead_team else [],
        has_award=Award.objects.filter(lot=bid.lot).exists(),
        passed=passed,
        nav_active="tenders",
    )


@signin_required
def evaluation(request: HttpRequest, tender_id: int) -> HttpResponse:
    """The evaluator's page: declare conflicts, then score each bid independently."""
    actor = request.actor  # type: ignore[attr-defined]
    tender = selectors.tender_get(actor, tender_id)
    assignment = EvaluatorAssignment.objects.filter(
        tender=tender, evaluator_id=actor.membership_id
    ).first()
    if assignment is None:
        raise FullvalueError(
            "You are not on this tender's evaluation panel.", code="permission-denied", status=403
        )
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        try:
            if request.POST.get("action") == "declare":
                svc.conflict_declare(
                    actor=actor,
                    tender_id=tender.id,
                    has_conflict=state.values.get("has_conflict") == "yes",
                    detail=state.values.get("detail", ""),
                )
            else:
                bid_id = fields.identifier(state.values.get("bid", ""), "bid")
                scores = {}
                for c in tender.criteria.filter(kind="quality"):
                    raw = state.values.get(f"score_{bid_id}_{c.id}", "")
                    scores[c.id] = (
                        fields.whole_or(raw, -1),
                        state.values.get(f"reason_{bid_id}_{c.id}", ""),
                    )
                svc.scores_submit(actor=actor, bid_id=bid_id, scores=scores)
                messages.success(request, "Your scores are saved.")
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            return redirect("tender-evaluation", tender_id=tender.id)
    assignment.refresh_from_db()
    bids = []
    if assignment.declared_at and not assignment.has_conflict:
        for lot in tender.lots.all():
            for bid in selectors.bids_for_lot(actor, lot):
                mine = {
                    s.criterion_id: s for s in Score.objects.filter(assignment=assignment, bid=bid)
                }
                bids.append(
                    {
                        "bid": bid,
                        "contents": selectors.bid_contents(actor, bid),
                        "mine": mine,
                        "others": list(
                            selectors.scores_visible_to(actor, bid).exclude(assignment=assignment)
                        )
                        if mine
                        else [],
                    }
                )
    return page(
        request,
        "tendering/evaluation.html",
        f"Evaluate {tender.reference}",
        state=state,
        tender=tender,
        assignment=assignment,
        bids=bids,
        quality=list(tender.criteria.filter(kind="quality")),
        scale=SCALE,
        nav_active="tenders",
    )


@signin_required
def moderation(request: HttpRequest, tender_id: int) -> HttpResponse:
    """The commissioner moderates: every evaluator's scores side by side, then the consensus."""
    actor = request.actor  # type: ignore[attr-defined]
    tender = selectors.tender_get(actor, tender_id)
    require(policy.can_see_moderation, actor, tender)
    state = FormState()
    posted: tuple[int, int] | None = None
    summary = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        raw = state.values.get("score", "")
        bid_id = fields.whole_or(state.values.get("bid", ""), 0)
        criterion_id = fields.whole_or(state.values.get("criterion", ""), 0)
        try:
            svc.consensus_set(
                actor=actor,
                bid_id=bid_id,
                criterion_id=criterion_id,
                score=fields.whole_or(raw, -1),
                reason=state.values.get("reason", ""),
            )
        except FullvalueError as exc:
            state.absorb(exc)
            posted = (bid_id, criterion_id)
            # Each form's fields carry the bid and criterion in their ids, so the summary links
            # to the field in the form that was sent.
            summary = FormState(
                errors={
                    (k if k == "__all__" else f"c{bid_id}-{criterion_id}-{k}"): v
                    for k, v in state.errors.items()
                }
            )
        else:
            messages.success(request, "Consensus recorded.")
            return redirect("tender-moderation", tender_id=tender.id)
    rows = []
    quality = list(tender.criteria.filter(kind="quality"))
    scorers = [
        a
        for a in tender.panel.select_related("evaluator__user")
        if not (a.declared_at and a.has_conflict)
    ]
    for lot in tender.lots.all():
        for bid in selectors.bids_for_lot(actor, lot):
            scores = list(
                Score.objects.filter(bid=bid, submitted_at__isnull=False).select_related(
                    "assignment__evaluator__user"
                )
            )
            agreed = {c.criterion_id: c for c in Consensus.objects.filter(bid=bid)}
            scored = {s.assignment_id for s in scores}
            waiting = [a.evaluator.user.full_name for a in scorers if a.id not in scored]
            rows.append({"bid": bid, "scores": scores, "agreed": agreed, "waiting": waiting})
    return page(
        request,
        "tendering/moderation.html",
        f"Moderate {tender.reference}",
        state=summary,
        posted_state=state,
        posted=posted,
        blank_state=FormState(),
        tender=tender,
        rows=rows,
        quality=quality,
        nav_active="tenders",
    )


@signin_required
def feedback(request: HttpRequest, bid_id: int) -> HttpResponse:
    """The feedback letter (page, or PDF with ?format=pdf)."""
    letter = feedback_letter(request.actor, bid_id)  # type: ignore[attr-defined]
    if request.GET.get("format") == "pdf":
        response = HttpResponse(feedback_pdf(letter), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="feedback-bid-{bid_id}.pdf"'
        return response
    return page(
        request,
        "tendering/feedback.html",
        f"Feedback: {letter.lot_title}",
        letter=letter,
        bid_id=bid_id,
        nav_active="tenders",
    )


def partners(request: HttpRequest) -> HttpResponse:
    """Partner finder: organisations looking for consortium partners, by lot."""
    actor = request.actor  # type: ignore[attr-defined]
    entries = list(
        PartnerInterest.objects.select_related("lot__tender", "organisation").filter(
            lot__tender__status="open"
        )
    )
    return page(
        request,
        "tendering/partners.html",
        "Find consortium partners",
        entries=entries,
        can_contact=actor.role in selectors.PROVIDER_ROLES and actor.organisation_id is not None,
        nav_active="tenders",
    )


#: Rows a new tender's form starts with; "Add another" grows each list by one (up to MAX_ROWS).
LOT_ROWS = 1
PASS_FAIL_ROWS = 1
MAX_ROWS = 40
DEFAULT_CRITERIA = [
    ("Price", "price", "30"),
    ("Service design and outcomes", "quality", "40"),
    ("Local knowledge and lived experience", "quality", "15"),
    ("Social value", "social_value", "15"),
]
#: What each "Add another" button grows: the count field and the field that starts a row.
GROWABLE = {
    "lot": ("lot_rows", "lot_title_"),
    "criterion": ("criteria_rows", "criterion_name_"),
    "pass_fail": ("pass_fail_rows", "pass_fail_"),
}


def _row_count(values: dict[str, Any], kind: str, default: int) -> int:
    """Rows of one list: as many as the form said it had, or as many as were sent."""
    count_field, first_field = GROWABLE[kind]
    raw = str(values.get(count_field) or "")
    sent = [
        int(key[len(first_field) :]) + 1
        for key in values
        if key.startswith(first_field) and fields.whole_or(key[len(first_field) :], -1) >= 0
    ]
    declared = fields.whole_or(raw, default)
    return max(1, min(MAX_ROWS, max([declared, *sent])))


def _tender_data(v: dict[str, Any], rows: dict[str, int]) -> dict[str, Any]:
    """The service's input from the form's values, every row that has its first field filled."""
    return {
        "title": v.get("title", ""),
        "description": v.get("description", ""),
        "procedure": v.get("procedure", ""),
        "consortium_deadline": v.get("consortium_deadline", ""),
        "clarification_deadline": v.get("clarification_deadline", ""),
        "submission_deadline": v.get("submission_deadline", ""),
        "social_value_reason": v.get("social_value_reason", ""),
        "lots": [
            {
                "title": v.get(f"lot_title_{i}", ""),
                "area": v.get(f"lot_area_{i}", ""),
                "value": v.get(f"lot_value_{i}", ""),
                "cohort": v.get(f"lot_cohort_{i}", ""),
                "reserved_for_small": v.get(f"lot_reserved_{i}") == "yes",
            }
            for i in range(rows["lot"])
            if v.get(f"lot_title_{i}")
        ],
        "criteria": [
            {
                "name": v.get(f"criterion_name_{i}", ""),
                "kind": v.get(f"criterion_kind_{i}", ""),
                "weight": v.get(f"criterion_weight_{i}", ""),
                "question": v.get(f"criterion_question_{i}", ""),
            }
            for i in range(rows["criterion"])
            if v.get(f"criterion_name_{i}")
        ],
        "pass_fail": [v.get(f"pass_fail_{i}", "") for i in range(rows["pass_fail"])],
    }


def _local_minute(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _draft_values(tender: Any) -> dict[str, Any]:
    """A draft tender's fields as the form shows them, so editing starts from what is saved."""
    values: dict[str, Any] = {
        "title": tender.title,
        "description": tender.description,
        "procedure": tender.procedure,
        "social_value_reason": tender.social_value_reason,
        "consortium_deadline": _local_minute(tender.consortium_deadline),
        "clarification_deadline": _local_minute(tender.clarification_deadline),
        "submission_deadline": _local_minute(tender.submission_deadline),
    }
    lots = list(tender.lots.select_related("area"))
    for i, lot in enumerate(lots):
        values |= {
            f"lot_title_{i}": lot.title,
            f"lot_area_{i}": lot.area.code if lot.area else "",
            f"lot_cohort_{i}": lot.cohort,
            f"lot_value_{i}": str(lot.value),
            f"lot_reserved_{i}": "yes" if lot.reserved_for_small else "no",
        }
    criteria = list(tender.criteria.all())
    for i, c in enumerate(criteria):
        values |= {
            f"criterion_name_{i}": c.name,
            f"criterion_kind_{i}": c.kind,
            f"criterion_weight_{i}": f"{c.weight.normalize():f}",
            f"criterion_question_{i}": c.question,
        }
    questions = list(tender.pass_fail.all())
    for i, q in enumerate(questions):
        values[f"pass_fail_{i}"] = q.text
    values |= {
        "lot_rows": str(max(1, len(lots))),
        "criteria_rows": str(max(1, len(criteria))),
        "pass_fail_rows": str(max(1, len(questions))),
    }
    return values


@signin_required
def tender_create_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Draft a tender for a programme: procedure, timeline, lots and weighted criteria."""
    actor = request.actor  # type: ignore[attr-defined]
    programme = programme_get(actor, slug=slug)
    values: dict[str, Any] = {"procedure": "open", "criteria_rows": str(len(DEFAULT_CRITERIA))}
    for i, (name, kind, weight) in enumerate(DEFAULT_CRITERIA):
        values.update(
            {
                f"criterion_name_{i}": name,
                f"criterion_kind_{i}": kind,
                f"criterion_weight_{i}": weight,
            }
        )
    return _tender_form(request, programme, None, values)


@signin_required
def tender_edit_view(request: HttpRequest, tender_id: int) -> HttpResponse:
    """Edit a draft tender (a published one changes only by an amendment, with its reason)."""
    actor = request.actor  # type: ignore[attr-defined]
    tender = selectors.tender_get(actor, tender_id)
    if not (selectors.is_commissioner_side(actor, tender) and actor.role == Role.COMMISSIONER):
        raise FullvalueError(
            "Only the tender's commissioner edits it.", code="permission-denied", status=403
        )
    if tender.status != tender.Status.DRAFT:
        messages.info(request, "A published tender changes only by an amendment, below.")
        return redirect("tender-detail", tender_id=tender.id)
    return _tender_form(request, tender.programme, tender, _draft_values(tender))


def _tender_form(
    request: HttpRequest, programme: Any, tender: Any, initial: dict[str, Any]
) -> HttpResponse:
    """The tender form, new or a draft's.

    "Add another" buttons post the form and come back with one more row (no JavaScript
    needed); "Save draft" saves.
    """
    actor = request.actor  # type: ignore[attr-defined]
    state = FormState(values=initial)
    if request.method == "POST":
        state = FormState.from_post(request.POST)
    v = state.values
    rows = {
        "lot": _row_count(v, "lot", LOT_ROWS),
        "criterion": _row_count(v, "criterion", len(DEFAULT_CRITERIA)),
        "pass_fail": _row_count(v, "pass_fail", PASS_FAIL_ROWS),
    }
    adding = request.POST.get("add", "") if request.method == "POST" else ""
    if adding in GROWABLE:
        rows[adding] = min(MAX_ROWS, rows[adding] + 1)
    elif request.method == "POST":
        data = _tender_data(v, rows)
        try:
            if tender is None:
                saved = svc.tender_create(actor=actor, programme_id=programme.id, data=data)
            else:
                saved = svc.tender_update(actor=actor, tender_id=tender.id, data=data)
        except FullvalueError as exc:
            for p in exc.problems:
                column = p.column or "__all__"
                if column in ("weights", "social_value_weight"):
                    column = "criterion_weight_0"
                if column == "lots":
                    column = "lot_title_0"
                state.add_error(column, p.reason if not p.location else f"{p.location}: {p.reason}")
        else:
            messages.success(request, "The tender is saved as a draft. Check it, then publish.")
            return redirect("tender-detail", tender_id=saved.id)
    return page(
        request,
        "tendering/form.html",
        f"Edit {tender.title}" if tender is not None else f"Tender {programme.title}",
        state=state,
        programme=programme,
        tender=tender,
        lot_rows=range(rows["lot"]),
        criteria_rows=range(rows["criterion"]),
        pass_fail_rows=range(rows["pass_fail"]),
        regions=sorted(REGIONS.items(), key=lambda kv: kv[1]),
        nav_active="tenders",
    )


def document_download(request: HttpRequest, document_id: int) -> HttpResponse:
    """Download a tender document (as an attachment, never rendered inline)."""
    document = document_get(request.actor, document_id)  # type: ignore[attr-defined]
    response = HttpResponse(bytes(document.content), content_type=document.content_type)
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return response


@signin_required
def partner_contact(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Write to an organisation listed in the partner finder (its administrators read it)."""
    actor = request.actor  # type: ignore[attr-defined]
    entry = (
        PartnerInterest.objects.select_related("organisation", "lot__tender")
        .filter(id=entry_id)
        .first()
    )
    if entry is None:
        raise NotFound("No such partner finder entry.")
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        try:
            partnering.partner_message_send(
                actor=actor,
                recipient_id=entry.organisation_id,
                lot_id=entry.lot_id,
                body=state.values.get("body", ""),
            )
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(
                request,
                f"Your message has been sent to {entry.organisation.name}'s administrators. "
                "Their reply will appear on your partner messages page.",
            )
            return redirect("partner-messages")
    return page(
        request,
        "tendering/partner_contact.html",
        f"Contact {entry.organisation.name}",
        state=state,
        entry=entry,
        nav_active="tenders",
    )


@signin_required
def partner_messages(request: HttpRequest) -> HttpResponse:
    """Messages your organisation sent and received through the partner finder."""
    actor = request.actor  # type: ignore[attr-defined]
    items = list(partnering.partner_messages_for(actor))
    return page(
        request,
        "tendering/partner_messages.html",
        "Partner messages",
        received=[m for m in items if m.recipient_id == actor.organisation_id],
        sent=[m for m in items if m.sender_id == actor.organisation_id],
        nav_active="tenders",
    )


@signin_required
def partner_message(request: HttpRequest, message_id: int) -> HttpResponse:
    """One partner message; an administrator of the receiving organisation replies here."""
    actor = request.actor  # type: ignore[attr-defined]
    message = partnering.partner_message_get(actor, message_id)
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        try:
            partnering.partner_message_reply(
                actor=actor,
                message_id=message.id,
                reply=state.values.get("reply", ""),
                share_contact=state.values.get("share_contact") == "yes",
            )
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(request, f"Your reply has been sent to {message.sender.name}.")
            return redirect("partner-messages")
    return page(
        request,
        "tendering/partner_message.html",
        f"Message from {message.sender.name}"
        if message.recipient_id == actor.organisation_id
        else f"Your message to {message.recipient.name}",
        state=state,
        message=message,
        received=message.recipient_id == actor.organisation_id,
        nav_active="tenders",
    )
