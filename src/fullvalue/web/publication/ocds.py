"""OCDS 1.1 publication: releases, compiled records and packages for every contracting process.

One tender is one contracting process, ``ocid = {OCID_PREFIX}-{tender.reference}``. Its releases
are rebuilt from the database on each request, each dated when its information became public and
with a stable id, so a release once published never changes:

==============================  =========================  ===================================
release id                      tag                        date
==============================  =========================  ===================================
``{ocid}-planning-1``           planning                   publication
``{ocid}-tender-1``             tender                     publication (dates as first set)
``{ocid}-tender-{n+1}``         tenderAmendment            the n-th amendment
``{ocid}-tender-cancelled``     tenderCancellation         the cancellation
``{ocid}-bids-1``               tenderUpdate               the submission deadline
``{ocid}-award-{lot}``          award                      the award decision (status pending)
``{ocid}-contract-{lot}``       awardUpdate, contract      confirmation after standstill
==============================  =========================  ===================================

Sealed information is never published early: drafts are never published, and nothing about bids
(counts, tenderers, prices, subcontractors) is even read from the database for a tender whose
submission deadline has not passed (:func:`load_processes`). Prices appear only as award values.
Contact details and internal notes of organisations are never published.

Money is ``Decimal`` until the JSON boundary, where OCDS requires a JSON number: amounts (at most
14 digits, 2 decimal places) convert to ``float`` exactly, since ``repr`` of the float gives back
the same digits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import ocdsmerge
from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from fullvalue.web.contracts.selectors import kpis_of, milestones_of
from fullvalue.web.payruns.selectors import approved_runs_of
from fullvalue.web.tendering.selectors import (
    CRITERION_KINDS,
    awards_of,
    deadline_passed,
    opened_contents,
    published_tenders,
    submitted_bids_of,
)

if TYPE_CHECKING:
    from fullvalue.web.contracts.models import Contract
    from fullvalue.web.organisations.models import Organisation
    from fullvalue.web.tendering.models import (
        Amendment,
        Award,
        AwardCriterion,
        Bid,
        Lot,
        Tender,
        TenderDocument,
    )

Json = dict[str, Any]

OCDS_VERSION = "1.1"
CURRENCY = "GBP"
LANGUAGE = "en"
UK = ZoneInfo("Europe/London")

_OC = "https://raw.githubusercontent.com/open-contracting-extensions"
#: The extensions whose fields we use (their extension.json URLs, as packages list them).
EXTENSIONS = (
    f"{_OC}/ocds_lots_extension/master/extension.json",
    f"{_OC}/ocds_bid_extension/master/extension.json",
    f"{_OC}/ocds_awardCriteriaBreakdown_extension/master/extension.json",
    f"{_OC}/ocds_subcontracting_extension/master/extension.json",
    f"{_OC}/ocds_partyDetails_scale_extension/master/extension.json",
    f"{_OC}/ocds_pagination_extension/master/extension.json",
    f"{_OC}/ocds_metrics_extension/master/extension.json",
    "https://raw.githubusercontent.com/cabinetoffice/ocds_uk_extension/main/extension.json",
)

#: The UK definition of an SME includes a turnover under £44 million; we only know an
#: organisation's annual income, so that is the test (staff numbers are not recorded).
SME_INCOME_LIMIT = Decimal("44000000")

#: Our tender statuses (tendering's codes) as OCDS tender statuses.
TENDER_STATUS = {
    "open": "active",
    "evaluation": "active",
    "standstill": "active",
    "awarded": "complete",
    "cancelled": "cancelled",
}
PROCUREMENT_METHOD = {
    "open": ("open", "Open procedure (Procurement Act 2023)"),
    "competitive_flexible": (
        "selective",
        "Competitive flexible procedure (Procurement Act 2023)",
    ),
    "grant": ("open", "Grant competition"),
}
#: Our contract statuses (contracts' codes) as OCDS contract statuses.
CONTRACT_STATUS = {"pending": "pending", "active": "active", "ended": "terminated"}
CRITERION_TYPE = {"price": "price", "quality": "quality", "social_value": "quality"}
ROLE_ORDER = ("buyer", "procuringEntity", "tenderer", "supplier", "subcontractor")


# --- loading -----------------------------------------------------------------------------------


@dataclass
class Process:
    """One contracting process as loaded for publication.

    ``bids`` (submitted, with their parties) and ``awards`` are loaded only once the submission
    deadline has passed, so sealed information cannot reach a release by mistake.
    """

    tender: Tender
    lots: list[Lot]
    criteria: list[AwardCriterion]
    amendments: list[Amendment]
    unsealed: bool
    bids: list[Bid] = field(default_factory=list)
    awards: dict[int, Award] = field(default_factory=dict)
    documents: list[TenderDocument] = field(default_factory=list)
    runs: dict[int, list[Any]] = field(default_factory=dict)
    milestones: dict[int, list[Any]] = field(default_factory=dict)
    kpis: dict[int, list[Any]] = field(default_factory=dict)

    @property
    def ocid(self) -> str:
        """The process's Open Contracting ID."""
        return ocid_for(self.tender)


def ocid_for(tender: Tender) -> str:
    """``{OCID_PREFIX}-{reference}``, e.g. ``ocds-fullvalue-FV-001-0001``."""
    return f"{settings.OCID_PREFIX}-{tender.reference}"


def public_processes() -> QuerySet[Tender]:
    """Tenders that have been published (never drafts), with what their releases need."""
    return published_tenders()


def tender_for_ocid(ocid: str) -> Tender | None:
    """The public tender an ocid names, or ``None``."""
    prefix = f"{settings.OCID_PREFIX}-"
    if not ocid.startswith(prefix):
        return None
    return public_processes().filter(reference=ocid.removeprefix(prefix)).first()


def load_processes(tenders: Iterable[Tender], now: dt.datetime | None = None) -> list[Process]:
    """Load bids and awards for the tenders whose deadline has passed (a fixed number of queries).

    ``tenders`` come from :func:`public_processes` (lots, criteria and amendments prefetched).
    """
    now = now or timezone.now()
    processes = [
        Process(
            tender=t,
            lots=list(t.lots.all()),
            criteria=list(t.criteria.all()),
            amendments=list(t.amendments.all()),
            unsealed=deadline_passed(t, now),
            documents=list(t.documents.all()),
        )
        for t in tenders
    ]
    unsealed = {p.tender.id: p for p in processes if p.unsealed}
    if not unsealed:
        return processes
    for bid in submitted_bids_of(list(unsealed)):
        unsealed[bid.lot.tender_id].bids.append(bid)
    awards = awards_of(list(unsealed))
    by_contract: dict[int, Process] = {}
    for award in awards:
        unsealed[award.lot.tender_id].awards[award.lot_id] = award
        if (contract := _contract(award)) is not None:
            by_contract[contract.id] = unsealed[award.lot.tender_id]
    if by_contract:
        for run in approved_runs_of(list(by_contract)):
            by_contract[run.contract_id].runs.setdefault(run.contract_id, []).append(run)
        for milestone in milestones_of(list(by_contract)):
            by_contract[milestone.contract_id].milestones.setdefault(
                milestone.contract_id, []
            ).append(milestone)
        for kpi in kpis_of(list(by_contract)):
            by_contract[kpi.contract_id].kpis.setdefault(kpi.contract_id, []).append(kpi)
    return processes


# --- small conversions --------------------------------------------------------------------------


def _when(moment: dt.datetime) -> str:
    """RFC 3339 in UTC to the second, e.g. ``2027-01-04T09:00:00Z``."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=UK)


def _day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=UK)


def _number(amount: Decimal) -> int | float:
    """A Decimal as a JSON number: an int when whole, otherwise a float with the same digits.

    Examples
    --------
    >>> _number(Decimal("410000.00")), _number(Decimal("300000.50")), _number(Decimal("0.1"))
    (410000, 300000.5, 0.1)

    """
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _value(amount: Decimal) -> Json:
    """An OCDS Value in GBP."""
    return {"amount": _number(amount), "currency": CURRENCY}


def _percent(weight: Decimal) -> str:
    return f"{weight.normalize():f}"


def prune(data: Any) -> Any:
    """Drop null, empty-string, empty-array and empty-object fields (OCDS asks for no empties)."""
    if isinstance(data, dict):
        pruned = {k: prune(v) for k, v in data.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(data, list):
        return [prune(v) for v in data]
    return data


# --- organisations ------------------------------------------------------------------------------


def party_id(org: Organisation) -> str:
    """An organisation's primary org-id (e.g. ``GB-CHC-1092948``), else a local id."""
    identifiers = list(org.identifiers.all())
    return identifiers[0].value if identifiers else f"fullvalue-org-{org.id}"


def _identifier(value: str) -> Json:
    """Split an org-id into scheme and number.

    Examples
    --------
    >>> _identifier("GB-CHC-1092948")
    {'scheme': 'GB-CHC', 'id': '1092948'}

    """
    parts = value.split("-", 2)
    if len(parts) == 3:
        return {"scheme": f"{parts[0]}-{parts[1]}", "id": parts[2]}
    return {"scheme": parts[0], "id": "-".join(parts[1:])} if len(parts) == 2 else {"id": value}


def scale(org: Organisation) -> str | None:
    """``sme`` under £44m annual income, else ``large``; ``None`` for public bodies or unknown."""
    if org.sector == "public" or org.annual_income is None:
        return None
    return "sme" if org.annual_income < SME_INCOME_LIMIT else "large"


def reference(org: Organisation) -> Json:
    """An OCDS OrganizationReference."""
    return {"id": party_id(org), "name": org.name}


def party(org: Organisation, roles: Iterable[str]) -> Json:
    """An OCDS Organization: org-id identifiers, roles, and scale and VCSE details.

    ``details.scale`` (party scale extension) is ``sme`` when annual income is under £44m and
    ``large`` otherwise; it is left out for the public sector and when income is unknown.
    ``details.vcse`` (UK extension) is true for the voluntary and community sector.
    """
    identifiers = [i.value for i in org.identifiers.all()]
    details = {"scale": scale(org), "vcse": org.sector == "voluntary"}
    wanted = set(roles)
    return {
        "id": party_id(org),
        "name": org.name,
        "identifier": {**_identifier(identifiers[0]), "legalName": org.name}
        if identifiers
        else None,
        "additionalIdentifiers": [_identifier(v) for v in identifiers[1:]],
        "address": {"locality": org.town, "countryName": "United Kingdom"} if org.town else None,
        "roles": [r for r in ROLE_ORDER if r in wanted],
        "details": details,
    }


# --- the process's releases ---------------------------------------------------------------------


def _bid_parties(bid: Bid, *roles: str) -> list[Organisation]:
    order = {"lead": 0, "member": 1, "subcontractor": 2}
    found = [p for p in bid.parties.all() if p.role in roles]
    return [p.organisation for p in sorted(found, key=lambda p: (order[p.role], p.id))]


def _contract(award: Award) -> Contract | None:
    return getattr(award, "contract", None)


def _contract_period(contract: Contract) -> Json | None:
    """The contract's own start and end dates (None until they are set)."""
    period = {
        "startDate": _when(_day_start(contract.start_date)) if contract.start_date else None,
        "endDate": _when(_day_end(contract.end_date)) if contract.end_date else None,
    }
    return period if any(period.values()) else None


class _Builder:
    """Builds one process's releases in date order."""

    def __init__(self, process: Process) -> None:
        self.p = process
        self.t = process.tender
        self.ocid = process.ocid
        self.bids = {b.id: b for b in process.bids}
        self.lot_id = {lot.id: str(lot.number) for lot in process.lots}

    # parties as known at a moment: roles accumulate as the process goes on
    def parties(self, at: dt.datetime) -> list[Json]:
        orgs = {self.t.commissioner.id: self.t.commissioner}
        roles: dict[int, set[str]] = {self.t.commissioner.id: {"buyer", "procuringEntity"}}

        def add(org: Organisation, role: str) -> None:
            orgs[org.id] = org
            roles.setdefault(org.id, set()).add(role)

        if self.p.unsealed and self.t.submission_deadline and at >= self.t.submission_deadline:
            for bid in self.p.bids:
                for bp in bid.parties.all():
                    add(
                        bp.organisation,
                        "subcontractor" if bp.role == "subcontractor" else "tenderer",
                    )
        for award in self.p.awards.values():
            if award.decided_at <= at and award.bid_id in self.bids:
                for org in _bid_parties(self.bids[award.bid_id], "lead", "member"):
                    add(org, "supplier")
        return [party(orgs[k], roles[k]) for k in orgs]

    def release(self, rid: str, at: dt.datetime, tags: list[str], **sections: Any) -> Json:
        return prune(
            {
                "ocid": self.ocid,
                "id": f"{self.ocid}-{rid}",
                "date": _when(at),
                "tag": tags,
                "initiationType": "tender",
                "language": LANGUAGE,
                "parties": self.parties(at),
                "buyer": reference(self.t.commissioner),
                **sections,
            }
        )

    def planning(self) -> Json:
        programme = self.t.programme
        return {
            "rationale": programme.what_must_change or programme.summary,
            "budget": {
                "id": programme.slug,
                "description": f"{programme.title}: budget over {programme.years} years",
                "amount": _value(programme.budget),
                "project": programme.title,
            },
        }

    def fields_at(self, stage: int) -> Json:
        """Amendable fields as they stood after the first ``stage`` amendments."""
        current = {
            "description": self.t.description,
            "consortium_deadline": self.t.consortium_deadline,
            "clarification_deadline": self.t.clarification_deadline,
            "submission_deadline": self.t.submission_deadline,
        }
        for amendment in reversed(self.p.amendments[stage:]):
            for key, change in (amendment.changes or {}).items():
                if key in current and isinstance(change, list) and len(change) == 2:
                    current[key] = _restore(key, change[0], current[key])
        return current

    def criteria(self) -> Json:
        return {
            "criteria": [
                {
                    "type": CRITERION_TYPE[c.kind],
                    "name": c.name,
                    "description": c.question,
                    "numbers": [{"number": _number(c.weight), "weight": "percentageExact"}],
                }
                for c in self.p.criteria
            ]
        }

    def criteria_details(self) -> str:
        text = "Weighted criteria, each scored 0-5: " + "; ".join(
            f"{c.name} ({CRITERION_KINDS[c.kind].lower()}) {_percent(c.weight)}%"
            for c in self.p.criteria
        )
        if self.t.social_value_reason:
            text += f". Why social value weighs under 10%: {self.t.social_value_reason}"
        return text

    def tender(self, stage: int) -> Json:
        f = self.fields_at(stage)
        published = self.t.published_at
        method, details = PROCUREMENT_METHOD[self.t.procedure]
        criteria = self.criteria()
        amendments = [
            {
                "id": str(i + 1),
                "date": _when(a.created_at),
                "description": a.summary,
                "amendsReleaseID": f"{self.ocid}-tender-{i + 1}",
                "releaseID": f"{self.ocid}-tender-{i + 2}",
            }
            for i, a in enumerate(self.p.amendments[:stage])
        ]
        return {
            "id": self.t.reference,
            "title": self.t.title,
            "description": f["description"],
            "status": "active",
            "procuringEntity": reference(self.t.commissioner),
            "value": _value(sum((lot.value for lot in self.p.lots), Decimal(0))),
            "procurementMethod": method,
            "procurementMethodDetails": details,
            "mainProcurementCategory": "services",
            "awardCriteria": "ratedCriteria",
            "awardCriteriaDetails": self.criteria_details(),
            "submissionMethod": ["electronicSubmission"],
            "documents": [
                {
                    "id": f"doc-{d.id}",
                    "documentType": d.document_type,
                    "title": d.title,
                    "url": settings.SITE_URL.rstrip("/")
                    + reverse("document-download", args=[d.id]),
                    "format": d.content_type,
                    "datePublished": _when(
                        max(d.uploaded_at, published) if published else d.uploaded_at
                    ),
                }
                for d in self.p.documents
            ]
            or None,
            "tenderPeriod": {
                "startDate": _when(published) if published else None,
                "endDate": _when(f["submission_deadline"]) if f["submission_deadline"] else None,
            },
            "enquiryPeriod": {
                "startDate": _when(published) if published else None,
                "endDate": _when(f["clarification_deadline"])
                if f["clarification_deadline"]
                else None,
            },
            "milestones": [
                {
                    "id": "consortium-deadline",
                    "title": "Deadline for consortia to form",
                    "type": "engagement",
                    "dueDate": _when(f["consortium_deadline"]),
                }
            ]
            if f["consortium_deadline"]
            else [],
            "lots": [
                {
                    "id": str(lot.number),
                    "title": lot.title,
                    "description": lot.description,
                    "status": "active",
                    "value": _value(lot.value),
                    "awardCriteria": criteria,
                }
                for lot in self.p.lots
            ],
            "amendments": amendments,
        }

    def statistics(self) -> list[Json]:
        date = _when(self.t.submission_deadline) if self.t.submission_deadline else None
        out = []
        for lot in self.p.lots:
            bids = [b for b in self.p.bids if b.lot_id == lot.id]
            leads = [_bid_parties(b, "lead")[0] for b in bids if _bid_parties(b, "lead")]
            counts = (
                ("bids", len(bids)),
                ("smeBids", sum(1 for o in leads if scale(o) == "sme")),
                ("vcseFinalStageBids", sum(1 for o in leads if o.sector == "voluntary")),
            )
            for measure, value in counts:
                out.append(
                    {
                        "id": f"{lot.number}-{measure}",
                        "measure": measure,
                        "value": value,
                        "date": date,
                        "relatedLot": str(lot.number),
                    }
                )
        return out

    def award(self, award: Award, status: str) -> Json:
        bid = self.bids[award.bid_id]
        contents = opened_contents(bid)
        price = Decimal(contents["price"])
        subs = [p for p in contents.get("parties", []) if p.get("role") == "subcontractor"]
        share = sum((Decimal(str(p["share_of_value"])) for p in subs), Decimal(0))
        number = self.lot_id[award.lot_id]
        subcontracting = None
        if share > 0:
            subcontracting = {
                "minimumPercentage": _number(share),
                "maximumPercentage": _number(share),
                "value": _value((price * share).quantize(Decimal("0.01"), ROUND_HALF_UP)),
                "subcontracts": [
                    {"id": f"{number}-{i + 1}", "subcontractor": reference(org)}
                    for i, org in enumerate(_bid_parties(bid, "subcontractor"))
                ],
            }
        return {
            "id": f"award-{number}",
            "title": f"Award of lot {number}: {award.lot.title}",
            "status": status,
            "date": _when(award.decided_at),
            "value": _value(price),
            "suppliers": [reference(o) for o in _bid_parties(bid, "lead", "member")],
            "relatedLots": [number],
            "standstillPeriod": {
                "startDate": _when(_day_start(award.notice_published_on)),
                "endDate": _when(_day_end(award.standstill_ends_on)),
            },
            "hasSubcontracting": share > 0,
            "subcontracting": subcontracting,
        }

    def releases(self) -> list[Json]:
        t, published = self.t, self.t.published_at
        if published is None:
            return []
        out: list[tuple[dt.datetime, Json]] = [
            (
                published,
                self.release("planning-1", published, ["planning"], planning=self.planning()),
            ),
            (published, self.release("tender-1", published, ["tender"], tender=self.tender(0))),
        ]
        for i, amendment in enumerate(self.p.amendments):
            out.append(
                (
                    amendment.created_at,
                    self.release(
                        f"tender-{i + 2}",
                        amendment.created_at,
                        ["tenderAmendment"],
                        tender=self.tender(i + 1),
                    ),
                )
            )
        cancelled_at = t.updated_at if t.status == "cancelled" else None
        deadline = t.submission_deadline
        if self.p.unsealed and deadline and (cancelled_at is None or deadline < cancelled_at):
            tenderers = {o.id: o for b in self.p.bids for o in _bid_parties(b, "lead", "member")}
            out.append(
                (
                    deadline,
                    self.release(
                        "bids-1",
                        deadline,
                        ["tenderUpdate"],
                        tender={
                            "id": t.reference,
                            "status": "active",
                            "numberOfTenderers": len(tenderers),
                            "tenderers": [reference(o) for o in tenderers.values()],
                        },
                        bids={"statistics": self.statistics()},
                    ),
                )
            )
        out += self.award_releases()
        if cancelled_at is not None:
            out.append(
                (
                    cancelled_at,
                    self.release(
                        "tender-cancelled",
                        cancelled_at,
                        ["tenderCancellation"],
                        tender={
                            "id": t.reference,
                            "status": "cancelled",
                            "lots": [
                                {"id": str(lot.number), "status": "cancelled"}
                                for lot in self.p.lots
                                if lot.id not in self.p.awards
                            ],
                        },
                    ),
                )
            )
        return [r for _, r in sorted(out, key=lambda pair: pair[0])]

    def award_releases(self) -> list[tuple[dt.datetime, Json]]:
        out = []
        contracts = [c for a in self.p.awards.values() if (c := _contract(a)) is not None]
        last_contract = max(contracts, key=lambda c: (c.created_at, c.id), default=None)
        for lot in self.p.lots:
            award = self.p.awards.get(lot.id)
            if award is None or award.bid_id not in self.bids:
                continue
            number = self.lot_id[lot.id]
            valid = sum(1 for b in (award.results or {}).get("bids", []) if b.get("compliant"))
            out.append(
                (
                    award.decided_at,
                    self.release(
                        f"award-{number}",
                        award.decided_at,
                        ["award"],
                        awards=[self.award(award, "pending")],
                        bids={
                            "statistics": [
                                {
                                    "id": f"{number}-validBids",
                                    "measure": "validBids",
                                    "value": valid,
                                    "date": _when(award.decided_at),
                                    "relatedLot": number,
                                }
                            ]
                        },
                    ),
                )
            )
            contract = _contract(award)
            if contract is None or award.status != "confirmed":
                continue
            complete = self.t.status == "awarded" and contract == last_contract
            tags = ["awardUpdate", "contract", *(["tenderUpdate"] if complete else [])]
            out.append(
                (
                    contract.created_at,
                    self.release(
                        f"contract-{number}",
                        contract.created_at,
                        tags,
                        tender={
                            "id": self.t.reference,
                            "status": "complete" if complete else None,
                            "lots": [{"id": number, "status": "complete"}],
                        },
                        awards=[{"id": f"award-{number}", "status": "active"}],
                        contracts=[
                            {
                                "id": f"contract-{number}",
                                "awardID": f"award-{number}",
                                "title": contract.title,
                                "status": CONTRACT_STATUS[contract.status],
                                "value": _value(contract.value),
                                "period": _contract_period(contract),
                                "dateSigned": _when(contract.created_at),
                            }
                        ],
                    ),
                )
            )
            runs = self.p.runs.get(contract.id, [])
            milestones = self.p.milestones.get(contract.id, [])
            kpis = self.p.kpis.get(contract.id, [])
            if runs or milestones or kpis:
                at = max([r.approved_at for r in runs if r.approved_at] + [contract.created_at])
                out.append(
                    (
                        at,
                        self.release(
                            f"implementation-{number}",
                            at,
                            ["implementation"],
                            contracts=[
                                {
                                    "id": f"contract-{number}",
                                    "awardID": f"award-{number}",
                                    "agreedMetrics": agreed_metrics(kpis) or None,
                                    "implementation": self.implementation(
                                        award, runs, milestones, kpis
                                    ),
                                }
                            ],
                        ),
                    )
                )
        return out

    def implementation(
        self, award: Award, runs: list[Any], milestones: list[Any], kpis: list[Any]
    ) -> Json:
        """Payments made (approved runs), milestones, and KPI values (metrics observations)."""
        winning = next(b for b in self.p.bids if b.id == award.bid_id)
        supplier = next(p.organisation for p in winning.parties.all() if p.role == "lead")
        return {
            "transactions": [
                {
                    "id": f"payment-run-{run.id}",
                    "date": _when(run.approved_at),
                    "value": _value(run.total),
                    "payer": reference(self.t.commissioner),
                    "payee": reference(supplier),
                }
                for run in runs
                if run.approved_at and run.total > 0
            ]
            or None,
            "milestones": [
                {
                    "id": f"milestone-{m.id}",
                    "title": m.title,
                    "type": "delivery",
                    "dueDate": _when(_day_end(m.due_date)),
                    "status": "met" if m.met_on else "scheduled",
                    "dateMet": _when(_day_end(m.met_on)) if m.met_on else None,
                }
                for m in milestones
            ]
            or None,
            "metrics": [
                {
                    "id": f"kpi-{k.id}",
                    "title": k.name,
                    "observations": [
                        {
                            "id": f"kpi-{k.id}-{o.period_start}-{o.period_end}",
                            "period": {
                                "startDate": _when(_day_start(o.period_start)),
                                "endDate": _when(_day_end(o.period_end)),
                            },
                            "measure": _number(o.value),
                            "unit": {"name": k.unit},
                        }
                        for o in k.observations.all()
                    ],
                }
                for k in kpis
                if k.observations.all()
            ]
            or None,
        }


def agreed_metrics(kpis: Sequence[Any]) -> list[Json]:
    """KPI targets as the metrics extension's agreed metrics (one target observation each)."""
    return [
        {
            "id": f"kpi-{k.id}",
            "title": k.name,
            "description": ("At least" if k.higher_is_better else "At most") + " the target",
            "observations": [
                {"id": f"kpi-{k.id}-target", "measure": _number(k.target), "unit": {"name": k.unit}}
            ],
        }
        for k in kpis
    ]


def _restore(key: str, before: str, fallback: Any) -> Any:
    """The value an amendment replaced, from the text it recorded (``str()`` of the value)."""
    if key == "description":
        return before
    if before in ("", "None"):
        return None
    try:
        return dt.datetime.fromisoformat(before)
    except ValueError:
        return fallback


def process_releases(process: Process) -> list[Json]:
    """Every release of one contracting process, oldest first."""
    return _Builder(process).releases()


def releases_for(tenders: Iterable[Tender], now: dt.datetime | None = None) -> list[Json]:
    """The releases of several processes (tenders from :func:`public_processes`)."""
    return [r for p in load_processes(tenders, now) for r in process_releases(p)]


# --- packages and records -----------------------------------------------------------------------


def _package(uri: str, published: dt.datetime) -> Json:
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": list(EXTENSIONS),
        "publishedDate": _when(published),
        "publisher": {"name": settings.SERVICE_NAME},
    }


def release_package(
    releases: Sequence[Json], *, uri: str, published: dt.datetime, next_url: str | None = None
) -> Json:
    """An OCDS release package; ``links.next`` (pagination extension) when there is more."""
    package = _package(uri, published)
    if next_url:
        package["links"] = {"next": next_url}
    package["releases"] = list(releases)
    return package


#: The OCDS merge rules for the fields we publish, given to ``ocdsmerge`` so that it needs no
#: schema download (without a rule it merges arrays of objects by ``id`` and replaces any other
#: value). Paths are field names from the release down, without array indexes. From the core
#: release schema: the fields omitted when merging and the arrays merged whole
#: (``"wholeListMerge": true``, or objects with no ``id``); from the lots and award criteria
#: extensions: a lot's award criteria, objects with no ``id``. A test checks that every array of
#: objects without an ``id`` that we publish is merged whole.
MERGE_RULES: dict[tuple[str, ...], str] = {
    **{(name,): "omitWhenMerged" for name in ("id", "date", "tag", "links")},
    **dict.fromkeys(
        (
            ("parties", "additionalIdentifiers"),
            ("parties", "details", "classifications"),
            ("buyer", "additionalIdentifiers"),
            ("tender", "procuringEntity", "additionalIdentifiers"),
            ("tender", "tenderers", "additionalIdentifiers"),
            ("tender", "identifiers"),
            ("tender", "items", "additionalClassifications"),
            ("tender", "amendments", "changes"),
            ("tender", "documents", "relatedItems"),
            ("awards", "suppliers", "additionalIdentifiers"),
            ("awards", "items", "additionalClassifications"),
            ("awards", "amendments", "changes"),
            ("contracts", "identifiers"),
            ("contracts", "items", "additionalClassifications"),
            ("contracts", "amendments", "changes"),
            ("tender", "lots", "awardCriteria", "criteria"),
        ),
        "wholeListMerge",
    ),
}
_MERGER = ocdsmerge.Merger(merge_rules=MERGE_RULES)


def compile_release(releases: Sequence[Json]) -> Json:
    """The compiled release: every release merged in date order by ``ocdsmerge``.

    Notes
    -----
    The OCDS merge routine: releases are taken in ``date`` order (stable for equal dates); an
    object merges field by field and a field set to ``null`` is removed; an array of objects
    merges by ``id`` unless :data:`MERGE_RULES` says to take it whole; any other value is
    replaced by the later one. The compiled release's ``id`` is ``{ocid}-{latest date}``.

    References
    ----------
    Open Contracting Partnership, *OCDS 1.1: Merging* (standard.open-contracting.org, "Merging
    specification"); ``ocdsmerge``, the standard's reference implementation.

    Examples
    --------
    >>> compile_release([
    ...     {"ocid": "o", "id": "2", "date": "2027-01-02T00:00:00Z", "tag": ["tenderUpdate"],
    ...      "tender": {"id": "t", "status": "complete", "lots": [{"id": "1", "status": "complete"}]}},
    ...     {"ocid": "o", "id": "1", "date": "2027-01-01T00:00:00Z", "tag": ["tender"],
    ...      "tender": {"id": "t", "status": "active", "lots": [{"id": "1", "title": "Birmingham"}]}},
    ... ])["tender"]
    {'id': 't', 'status': 'complete', 'lots': [{'id': '1', 'title': 'Birmingham', 'status': 'complete'}]}
    """  # noqa: E501
    compiled: Json = _MERGER.create_compiled_release([dict(r) for r in releases])
    return compiled


def record_package(
    ocid: str, releases: Sequence[Json], *, uri: str, published: dt.datetime
) -> Json:
    """An OCDS record package for one ocid: its releases (embedded) and the compiled release."""
    package = _package(uri, published)
    package["records"] = [
        {"ocid": ocid, "releases": list(releases), "compiledRelease": compile_release(releases)}
    ]
    return package


def records_package(
    releases: Sequence[Json], *, uri: str, published: dt.datetime, next_url: str | None = None
) -> Json:
    """An OCDS record package with a record per ocid among ``releases`` (first-seen order).

    ``links.next`` (pagination extension) when there is more.
    """
    by_ocid: dict[str, list[Json]] = {}
    for release in releases:
        by_ocid.setdefault(release["ocid"], []).append(release)
    package = _package(uri, published)
    if next_url:
        package["links"] = {"next": next_url}
    package["records"] = [
        {"ocid": ocid, "releases": found, "compiledRelease": compile_release(found)}
        for ocid, found in by_ocid.items()
    ]
    return package
