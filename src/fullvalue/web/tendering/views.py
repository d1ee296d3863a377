"""Tender pages.

The list, a tender (with clarifications, bids, results and award), the bid form, the evaluation
panel, moderation, the partner finder and feedback letters.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from fullvalue.domain.evaluation import SCALE
from fullvalue.domain.organisations import REGIONS
from fullvalue.domain.roles import Role
from fullvalue.errors import FullvalueError, NotFound
from fullvalue.web.accounts.models import Membership
from fullvalue.web.core import fields
from fullvalue.web.core.exports import table_response
from fullvalue.web.core.forms import FormState
from fullvalue.web.core.pages import page, signin_required
from fullvalue.web.organisations.models import Organisation
from fullvalue.web.programmes.models import Programme
from fullvalue.web.tendering import selectors
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
                "partners": list(lot.partner_interests.select_related("organisation")),
            }
        )
    state = FormState()
    if request.method == "POST":
        state = _tender_action(request, tender, state)
        if not state.errors:
            return redirect("tender-detail", tender_id=tender.id)
    evaluators = (
        [
            (str(m.id), m.user.full_name)
            for m in Membership.objects.filter(
                organisation_id=tender.commissioner_id, role=Role.EVALUATOR, is_active=True
            )
            .select_related("user")
            .exclude(assignments__tender=tender)
        ]
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


@signin_required
def bid_form(request: HttpRequest, lot_id: int) -> HttpResponse:
    """Submit (or resubmit) a bid for a lot, alone or as a consortium lead."""
    actor = request.actor  # type: ignore[attr-defined]
    lot = Lot.objects.select_related("tender").filter(id=lot_id).first()
    if lot is None:
        raise NotFound("No such lot.")
    tender = selectors.tender_get(actor, lot.tender_id)
    state = FormState()
    if request.method == "POST":
        state, contents, parties = _bid_form_values(request, tender)
        try:
            bid = svc.bid_submit(actor=actor, lot_id=lot.id, contents=contents, parties=parties)
        except FullvalueError as exc:
            for p in exc.problems:
                column = (p.column or "__all__").replace(".", "_")
                if column.startswith("answers_"):
                    column = "answer_" + column.split("_", 1)[1]
                state.add_error(column, p.reason)
            if not exc.problems:
                state.add_error("__all__", exc.message)
        else:
            messages.success(
                request,
                "Your bid is submitted and sealed until the deadline. "
                "You can withdraw or resubmit it until then.",
            )
            return redirect("bid-detail", bid_id=bid.id)
    organisations = list(
        Organisation.objects.exclude(id=actor.organisation_id)
        .filter(sector="voluntary")
        .order_by("name")
        .values_list("id", "name")
    )
    return page(
        request,
        "tendering/bid_form.html",
        f"Bid for {lot}",
        state=state,
        lot=lot,
        tender=tender,
        quality=list(tender.criteria.filter(kind="quality")),
        pass_fail=list(tender.pass_fail.all()),
        sv_rows=range(SV_ROWS),
        partner_rows=range(PARTNER_ROWS),
        organisations=[(str(i), n) for i, n in organisations],
        nav_active="tenders",
    )


@signin_required
def bid_detail(request: HttpRequest, bid_id: int) -> HttpResponse:
    """A bid (sealed to all but its parties until the deadline)."""
    actor = request.actor  # type: ignore[attr-defined]
    bid = selectors.bid_get(actor, bid_id)
    if request.method == "POST" and request.POST.get("action") == "withdraw":
        svc.bid_withdraw(actor=actor, bid_id=bid.id)
        messages.success(request, "Your bid has been withdrawn.")
        return redirect("tender-detail", tender_id=bid.lot.tender_id)
    contents = selectors.bid_contents(actor, bid)
    criteria = {str(c.id): c for c in bid.lot.tender.criteria.all()}
    names = dict(
        Organisation.objects.filter(
            id__in=[p["organisation_id"] for p in contents["parties"]]
        ).values_list("id", "name")
    )
    return page(
        request,
        "tendering/bid.html",
        f"Bid {bid.id}: {bid.lot}",
        bid=bid,
        contents=contents,
        criteria=criteria,
        names=names,
        has_award=Award.objects.filter(lot=bid.lot).exists(),
        passed=selectors.deadline_passed(bid.lot.tender),
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
                        int(raw) if raw.isdigit() else -1,
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
    if not (
        (selectors.is_commissioner_side(actor, tender) and actor.role == Role.COMMISSIONER)
        or actor.role in (Role.AUDITOR, Role.SYSTEM_ADMIN)
    ):
        raise FullvalueError(
            "Moderation is for the tender's commissioner.", code="permission-denied", status=403
        )
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        raw = state.values.get("score", "")
        try:
            svc.consensus_set(
                actor=actor,
                bid_id=fields.identifier(state.values.get("bid", ""), "bid"),
                criterion_id=fields.identifier(state.values.get("criterion", ""), "criterion"),
                score=int(raw) if raw.isdigit() else -1,
                reason=state.values.get("reason", ""),
            )
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(request, "Consensus recorded.")
            return redirect("tender-moderation", tender_id=tender.id)
    rows = []
    quality = list(tender.criteria.filter(kind="quality"))
    for lot in tender.lots.all():
        for bid in selectors.bids_for_lot(actor, lot):
            scores = list(
                Score.objects.filter(bid=bid, submitted_at__isnull=False).select_related(
                    "assignment__evaluator__user"
                )
            )
            agreed = {c.criterion_id: c for c in Consensus.objects.filter(bid=bid)}
            rows.append({"bid": bid, "scores": scores, "agreed": agreed})
    return page(
        request,
        "tendering/moderation.html",
        f"Moderate {tender.reference}",
        state=state,
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
        nav_active="tenders",
    )


LOT_ROWS = 3
DEFAULT_CRITERIA = [
    ("Price", "price", "30"),
    ("Service design and outcomes", "quality", "40"),
    ("Local knowledge and lived experience", "quality", "15"),
    ("Social value", "social_value", "15"),
]


@signin_required
def tender_create_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Draft a tender for a programme: procedure, timeline, lots and weighted criteria."""
    actor = request.actor  # type: ignore[attr-defined]
    programme = Programme.objects.filter(slug=slug).first()
    if programme is None:
        raise NotFound("No such programme.")
    values: dict[str, Any] = {"procedure": "open"}
    for i, (name, kind, weight) in enumerate(DEFAULT_CRITERIA):
        values.update(
            {
                f"criterion_name_{i}": name,
                f"criterion_kind_{i}": kind,
                f"criterion_weight_{i}": weight,
            }
        )
    state = FormState(values=values)
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        v = state.values
        data = {
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
                for i in range(LOT_ROWS)
                if v.get(f"lot_title_{i}")
            ],
            "criteria": [
                {
                    "name": v.get(f"criterion_name_{i}", ""),
                    "kind": v.get(f"criterion_kind_{i}", ""),
                    "weight": v.get(f"criterion_weight_{i}", ""),
                    "question": v.get(f"criterion_question_{i}", ""),
                }
                for i in range(len(DEFAULT_CRITERIA))
                if v.get(f"criterion_name_{i}")
            ],
            "pass_fail": [v.get(f"pass_fail_{i}", "") for i in range(2)],
        }
        try:
            tender = svc.tender_create(actor=actor, programme_id=programme.id, data=data)
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
            return redirect("tender-detail", tender_id=tender.id)
    return page(
        request,
        "tendering/form.html",
        f"Tender {programme.title}",
        state=state,
        programme=programme,
        lot_rows=range(LOT_ROWS),
        criteria_rows=range(len(DEFAULT_CRITERIA)),
        regions=sorted(REGIONS.items(), key=lambda kv: kv[1]),
        nav_active="tenders",
    )


def document_download(request: HttpRequest, document_id: int) -> HttpResponse:
    """Download a tender document (as an attachment, never rendered inline)."""
    document = document_get(request.actor, document_id)  # type: ignore[attr-defined]
    response = HttpResponse(bytes(document.content), content_type=document.content_type)
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return response
