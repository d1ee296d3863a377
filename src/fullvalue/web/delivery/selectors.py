"""Reads for delivery, filtered per role: providers see only their own participants."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet

from fullvalue.domain.roles import Role
from fullvalue.errors import PermissionDenied
from fullvalue.web.contracts.policy import in_supply_chain
from fullvalue.web.delivery import policy
from fullvalue.web.kernel.policy import refusal

if TYPE_CHECKING:
    from fullvalue.web.contracts.models import Contract
from fullvalue.web.delivery.models import Claim, OutcomeEvent, Participant
from fullvalue.web.kernel.actor import Actor

#: Counts below this are shown as "fewer than 5" so nobody can be singled out.
SUPPRESS_BELOW = 5


def participants_for(
    actor: Actor, contract: Contract, chain: list[Any] | None = None
) -> QuerySet[Participant]:
    """Participants the actor may see.

    A provider in the supply chain sees its own; the commissioner, auditors and administrators
    see all; anyone else is refused. ``chain``: the contract's supply chain, when the caller has
    already read it.
    """
    qs = Participant.objects.filter(contract=contract)
    if policy.reads_all_participants(actor, contract):
        return qs
    if chain is not None:
        in_chain = in_supply_chain(actor, chain)
    else:
        in_chain = actor.organisation_id is not None and (
            contract.supply_chain.filter(organisation_id=actor.organisation_id).exists()
        )
    if (
        actor.role in (Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF)
        and actor.organisation_id
        and in_chain
    ):
        return qs.filter(provider_id=actor.organisation_id)
    raise PermissionDenied(refusal(policy.reads_all_participants))


def can_read_identity(
    actor: Actor, participant: Participant, contract: Contract | None = None
) -> bool:
    """Identifying details: the delivering provider's staff and the commissioner only."""
    return policy.can_read_identity(actor, participant, contract or participant.contract)


def identities_readable(actor: Actor, contract: Contract) -> bool:
    """Whether the actor may read any identities on the contract (to show those columns)."""
    return policy.identities_readable(actor, contract)


def equality_summary(
    actor: Actor, contract: Contract, people: QuerySet[Participant] | None = None
) -> dict[str, list[tuple[str, str]]]:
    """Counts by sex, ethnicity and age band, with small numbers suppressed.

    Any count from 1 to 4 is shown as "fewer than 5"; so that a suppressed count cannot be
    worked out from the total, when exactly one count in a table is suppressed the next
    smallest is suppressed too.
    """
    qs = participants_for(actor, contract) if people is None else people
    fields = ("sex", "ethnicity", "age_band")
    tallies: dict[str, Counter[str]] = {field: Counter() for field in fields}
    for *values, n in qs.order_by().values_list(*fields).annotate(n=Count("id")):
        for field, value in zip(fields, values, strict=True):
            tallies[field][value or "not stated"] += n
    out: dict[str, list[tuple[str, str]]] = {}
    for field, counts in tallies.items():
        small = {k for k, n in counts.items() if 0 < n < SUPPRESS_BELOW}
        if len(small) == 1 and len(counts) > 1:
            rest = sorted((n, k) for k, n in counts.items() if k not in small)
            small.add(rest[0][1])
        out[field] = [
            (k, "fewer than 5" if k in small else str(n)) for k, n in sorted(counts.items())
        ]
    return out


def claims_for(
    actor: Actor, contract: Contract, people: QuerySet[Participant] | None = None
) -> QuerySet[Claim]:
    """Claims on the contract the actor may see (providers: their own)."""
    people = participants_for(actor, contract) if people is None else people
    return Claim.objects.filter(event__participant__in=people).select_related("event__participant")


def summary_counts(
    actor: Actor, contract: Contract, people: QuerySet[Participant] | None = None
) -> dict[str, Any]:
    """Referrals, starts and leavers the actor may see."""
    people = participants_for(actor, contract) if people is None else people
    return people.aggregate(
        referrals=Count("id"),
        starts=Count("id", filter=Q(started_on__isnull=False)),
        leavers=Count("id", filter=Q(left_on__isnull=False)),
    )


def start_dates(contract: Contract, upto: dt.date) -> list[dt.date]:
    """Start dates of every participant of the contract who started on or before ``upto``."""
    days = Participant.objects.filter(
        contract=contract, started_on__isnull=False, started_on__lte=upto
    ).values_list("started_on", flat=True)
    return [day for day in days if day is not None]


def accepted_outcome_counts(contract: Contract) -> Counter[str]:
    """How many claims were accepted on the contract, per outcome code."""
    return Counter(
        Claim.objects.filter(
            event__participant__contract=contract, status=Claim.Status.ACCEPTED
        ).values_list("event__outcome", flat=True)
    )


def accepted_outcomes(contract: Contract) -> list[tuple[str, dt.date]]:
    """(outcome code, date it happened) of every accepted claim on the contract."""
    return list(
        Claim.objects.filter(
            event__participant__contract=contract, status=Claim.Status.ACCEPTED
        ).values_list("event__outcome", "event__occurred_on")
    )


def participants_of_provider(organisation_id: int) -> list[dict[str, Any]]:
    """Every participant a provider delivers to, on any contract, for its returns to funders.

    ``participant`` is the participant's id as text (pseudonyms are unique per contract only);
    ``start_date`` is the start of delivery, else the referral date.
    """
    rows = Participant.objects.filter(provider_id=organisation_id).values_list(
        "id", "started_on", "referred_on", "left_on", "sex", "ethnicity", "age_band"
    )
    return [
        {
            "participant": str(pid),
            "start_date": started or referred,
            "end_date": left,
            "sex": sex or "",
            "ethnicity": ethnicity or "",
            "age_band": age_band or "",
        }
        for pid, started, referred, left, sex, ethnicity, age_band in rows
    ]


def outcome_events_of_provider(organisation_id: int) -> list[tuple[int, str, dt.date]]:
    """(participant id, the mechanism's outcome name, date) of a provider's outcome events."""
    return list(
        OutcomeEvent.objects.filter(participant__provider_id=organisation_id)
        .order_by("occurred_on", "id")
        .values_list("participant_id", "outcome", "occurred_on")
    )


def participant_ids_of_provider(organisation_id: int, ids: list[int]) -> set[int]:
    """Which of ``ids`` are participants the provider delivers to."""
    return set(
        Participant.objects.filter(provider_id=organisation_id, id__in=ids).values_list(
            "id", flat=True
        )
    )


def pseudonyms_of(ids: list[int]) -> dict[int, str]:
    """Participants' pseudonyms by id (what pages show instead of anyone's identity)."""
    return dict(Participant.objects.filter(id__in=ids).values_list("id", "pseudonym"))


def participants_by_pseudonym(organisation_id: int) -> dict[str, list[int]]:
    """A provider's participants' ids by pseudonym (one pseudonym may be on several contracts)."""
    out: dict[str, list[int]] = {}
    for pid, pseudonym in Participant.objects.filter(provider_id=organisation_id).values_list(
        "id", "pseudonym"
    ):
        out.setdefault(pseudonym, []).append(pid)
    return out
