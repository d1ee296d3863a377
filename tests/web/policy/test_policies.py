"""Every named predicate of every capability's policy, for every role that matters.

Each case is (role, relation to the subject) -> allowed. System administrators and auditors
are in every table: the drifted copies these predicates replaced disagreed about them.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from fullvalue.domain.roles import Role
from fullvalue.errors import PermissionDenied
from fullvalue.web.contracts import policy as contracts
from fullvalue.web.delivery import policy as delivery
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.policy import refusal, require
from fullvalue.web.payruns import policy as payruns
from fullvalue.web.programmes import policy as programmes

COMMISSIONER_ORG, PRIME_ORG, SUB_ORG, OTHER_ORG = 1, 2, 3, 9


def actor(role: Role, org: int = OTHER_ORG, user: int = 100) -> Actor:
    return Actor(
        user_id=user, email="x@example.org", membership_id=user, organisation_id=org, role=role
    )


CONTRACT = SimpleNamespace(commissioner_id=COMMISSIONER_ORG, provider_id=PRIME_ORG)
CHAIN = [SimpleNamespace(organisation_id=PRIME_ORG), SimpleNamespace(organisation_id=SUB_ORG)]

COMMISSIONER = actor(Role.COMMISSIONER, COMMISSIONER_ORG)
OTHER_COMMISSIONER = actor(Role.COMMISSIONER, OTHER_ORG)
EVALUATOR = actor(Role.EVALUATOR, COMMISSIONER_ORG)
PRIME_ADMIN = actor(Role.PROVIDER_ADMIN, PRIME_ORG)
PRIME_STAFF = actor(Role.PROVIDER_STAFF, PRIME_ORG)
SUB_ADMIN = actor(Role.PROVIDER_ADMIN, SUB_ORG)
OUTSIDER = actor(Role.PROVIDER_ADMIN, OTHER_ORG)
AUDITOR = actor(Role.AUDITOR, 50)
ADMIN = actor(Role.SYSTEM_ADMIN, 51)
COMMUNITY = actor(Role.COMMUNITY_MEMBER, 52)


@pytest.mark.parametrize(
    ("who", "contract_commissioner", "manage", "supply_chain", "kpi_value", "insider"),
    [
        (COMMISSIONER, True, True, True, True, True),
        (OTHER_COMMISSIONER, False, False, False, False, False),
        (EVALUATOR, False, False, False, False, True),
        (PRIME_ADMIN, False, False, True, True, True),
        (PRIME_STAFF, False, False, False, True, True),
        (SUB_ADMIN, False, False, False, False, True),
        (OUTSIDER, False, False, False, False, False),
        (AUDITOR, False, False, False, False, True),
        (ADMIN, False, True, True, False, True),
        (COMMUNITY, False, False, False, False, False),
    ],
)
def test_contract_policy(who, contract_commissioner, manage, supply_chain, kpi_value, insider):
    assert contracts.is_contract_commissioner(who, CONTRACT) is contract_commissioner
    assert contracts.can_manage_contract(who, CONTRACT) is manage
    assert contracts.can_change_supply_chain(who, CONTRACT) is supply_chain
    assert contracts.can_record_kpi_value(who, CONTRACT) is kpi_value
    assert contracts.is_insider(who, CONTRACT, CHAIN) is insider


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (COMMISSIONER, True),
        (ADMIN, True),
        (PRIME_ADMIN, False),
        (AUDITOR, False),
        (EVALUATOR, False),
    ],
)
def test_only_commissioners_and_admins_enter_contracts(who, allowed):
    assert contracts.can_enter_contract(who) is allowed


def run(prepared_by: int, status: str = "prepared") -> SimpleNamespace:
    return SimpleNamespace(status=status, contract=CONTRACT, prepared_by_id=prepared_by)


SECOND_COMMISSIONER = actor(Role.COMMISSIONER, COMMISSIONER_ORG, user=101)


@pytest.mark.parametrize(
    ("who", "the_run", "allowed", "reason"),
    [
        (SECOND_COMMISSIONER, run(prepared_by=100), True, ""),
        (COMMISSIONER, run(prepared_by=100), False, "Two-person rule"),
        (SECOND_COMMISSIONER, run(prepared_by=100, status="approved"), False, "Only a prepared"),
        (ADMIN, run(prepared_by=100), False, "Only the contract's commissioner"),
        (AUDITOR, run(prepared_by=100), False, "Only the contract's commissioner"),
        (PRIME_ADMIN, run(prepared_by=100), False, "Only the contract's commissioner"),
        (OTHER_COMMISSIONER, run(prepared_by=100), False, "Only the contract's commissioner"),
    ],
)
def test_approving_a_payment_run(who, the_run, allowed, reason):
    """Money is approved by a second person of the commissioner, never by an administrator."""
    assert payruns.can_approve_payment_run(who, the_run) is allowed
    assert payruns.approval_refusal(who, the_run).startswith(reason)


@pytest.mark.parametrize(
    ("who", "run_payments", "read_runs", "every_cash_position"),
    [
        (COMMISSIONER, True, True, True),
        (EVALUATOR, False, True, False),
        (PRIME_ADMIN, False, True, False),
        (SUB_ADMIN, False, False, False),
        (AUDITOR, False, True, True),
        (ADMIN, False, True, True),
        (OUTSIDER, False, False, False),
    ],
)
def test_payment_policy(who, run_payments, read_runs, every_cash_position):
    assert payruns.can_run_payments(who, CONTRACT) is run_payments
    assert payruns.can_read_payment_runs(who, CONTRACT) is read_runs
    assert payruns.sees_every_cash_position(who, CONTRACT) is every_cash_position


def test_only_the_receiving_administrator_confirms_receipt():
    payment = SimpleNamespace(member=SimpleNamespace(organisation_id=SUB_ORG))
    assert payruns.can_confirm_receipt(SUB_ADMIN, payment)
    for who in (PRIME_ADMIN, COMMISSIONER, ADMIN, AUDITOR, actor(Role.PROVIDER_STAFF, SUB_ORG)):
        assert not payruns.can_confirm_receipt(who, payment)


@pytest.mark.parametrize(
    ("who", "record", "claims", "reoffending", "all_participants", "identities"),
    [
        (COMMISSIONER, False, True, True, True, True),
        (PRIME_ADMIN, True, False, False, False, True),
        (SUB_ADMIN, True, False, False, False, True),
        (AUDITOR, False, False, False, True, False),
        (ADMIN, False, False, False, True, False),
        (EVALUATOR, False, False, False, False, False),
    ],
)
def test_delivery_policy(who, record, claims, reoffending, all_participants, identities):
    assert delivery.can_record_delivery(who) is record
    assert delivery.can_decide_claims(who, CONTRACT) is claims
    assert delivery.can_record_reoffending(who, CONTRACT) is reoffending
    assert delivery.reads_all_participants(who, CONTRACT) is all_participants
    assert delivery.identities_readable(who, CONTRACT) is identities


def test_identity_of_one_participant_is_for_its_own_provider_and_the_commissioner():
    participant = SimpleNamespace(provider_id=SUB_ORG)
    assert delivery.can_read_identity(SUB_ADMIN, participant, CONTRACT)
    assert delivery.can_read_identity(COMMISSIONER, participant, CONTRACT)
    assert not delivery.can_read_identity(PRIME_ADMIN, participant, CONTRACT)
    assert not delivery.can_read_identity(AUDITOR, participant, CONTRACT)
    assert not delivery.can_read_identity(ADMIN, participant, CONTRACT)


DRAFT = SimpleNamespace(status="draft", commissioner_id=COMMISSIONER_ORG)
PUBLISHED = SimpleNamespace(status="published", commissioner_id=COMMISSIONER_ORG)


@pytest.mark.parametrize(
    ("who", "design", "manage", "read_draft"),
    [
        (COMMISSIONER, True, True, True),
        (EVALUATOR, False, False, True),
        (OTHER_COMMISSIONER, True, False, False),
        (PRIME_ADMIN, False, False, False),
        (actor(Role.PROVIDER_ADMIN, COMMISSIONER_ORG), False, False, False),
        (AUDITOR, False, False, True),
        (ADMIN, True, True, True),
        (COMMUNITY, False, False, False),
    ],
)
def test_programme_policy(who, design, manage, read_draft):
    assert programmes.can_design_programme(who) is design
    assert programmes.can_manage_programme(who, DRAFT) is manage
    assert programmes.can_read_programme(who, DRAFT) is read_draft
    assert programmes.can_read_programme(who, PUBLISHED)
    assert programmes.can_read_programme(Actor.anonymous(), PUBLISHED)


def test_a_refusal_reads_the_predicates_rule():
    """The message a refused person reads is the predicate's own docstring."""
    assert refusal(contracts.can_change_supply_chain) == (
        "Only the prime or the commissioner can change the supply chain."
    )
    with pytest.raises(PermissionDenied, match=r"Only commissioners enter contracts\."):
        require(contracts.can_enter_contract, PRIME_ADMIN)
    require(contracts.can_enter_contract, COMMISSIONER)  # allowed: no error


TENDER = SimpleNamespace(commissioner_id=COMMISSIONER_ORG)


@pytest.mark.parametrize(
    ("who", "manage", "side", "unpublished", "take_part", "submit", "score", "moderation"),
    [
        (COMMISSIONER, True, True, True, False, False, False, True),
        (EVALUATOR, False, True, True, False, False, True, False),
        (OTHER_COMMISSIONER, False, False, False, False, False, False, False),
        (PRIME_ADMIN, False, False, False, True, True, False, False),
        (PRIME_STAFF, False, False, False, True, False, False, False),
        (AUDITOR, False, False, True, False, False, False, True),
        (ADMIN, True, False, True, False, False, False, True),
        (COMMUNITY, False, False, False, False, False, False, False),
    ],
)
def test_tendering_policy(who, manage, side, unpublished, take_part, submit, score, moderation):
    from fullvalue.web.tendering import policy as tendering

    assert tendering.can_manage_tender(who, TENDER) is manage
    assert tendering.can_tender_programme(who, TENDER) is manage
    assert tendering.is_commissioner_side(who, TENDER) is side
    assert tendering.can_read_unpublished(who, TENDER) is unpublished
    assert tendering.can_take_part(who) is take_part
    assert tendering.can_submit_bid(who) is submit
    assert tendering.can_score(who) is score
    assert tendering.can_see_moderation(who, TENDER) is moderation


def test_templates_ask_the_policies():
    """Every capability's policy is a Jinja global, so templates never compare role strings."""
    from fullvalue.web.jinja import POLICIES, policies

    namespace = policies()
    for name in POLICIES:
        assert callable(
            next(v for k, v in vars(getattr(namespace, name)).items() if k.startswith("can_"))
        )


def test_no_template_compares_role_strings():
    """Templates ask the named predicates (``policy.<capability>.can_...``), never role codes."""
    import re
    from pathlib import Path

    import fullvalue.web

    root = Path(fullvalue.web.__file__).parent / "jinja2"
    comparison = re.compile(r"\.role\s*(==|!=|in\b)")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if comparison.search(line)
    ]
    assert offenders == []


BUDGET = SimpleNamespace(lead_id=COMMISSIONER_ORG)
PARTNERS = {COMMISSIONER_ORG, SUB_ORG}
PARTNER_COMMISSIONER = actor(Role.COMMISSIONER, SUB_ORG, user=101)
FROM_PARTNER = SimpleNamespace(partner=SimpleNamespace(organisation_id=SUB_ORG, approver_id=None))
FROM_APPROVER = SimpleNamespace(partner=SimpleNamespace(organisation_id=SUB_ORG, approver_id=102))


@pytest.mark.parametrize(
    ("who", "see", "create", "read", "manage", "agree"),
    [
        (COMMISSIONER, True, True, True, True, False),
        (PARTNER_COMMISSIONER, True, True, True, False, True),
        (actor(Role.COMMISSIONER, SUB_ORG, user=102), True, True, True, False, True),
        (OTHER_COMMISSIONER, True, True, False, False, False),
        (EVALUATOR, False, False, False, False, False),
        (SUB_ADMIN, False, False, False, False, False),
        (AUDITOR, True, False, True, False, False),
        (ADMIN, True, False, True, False, False),
        (COMMUNITY, False, False, False, False, False),
    ],
)
def test_budget_policy(who, see, create, read, manage, agree):
    from fullvalue.web.budgets import policy as budgets

    assert budgets.can_see_budgets(who) is see
    assert budgets.can_create_budget(who) is create
    assert budgets.can_read_budget(who, BUDGET, PARTNERS) is read
    assert budgets.can_manage_budget(who, BUDGET) is manage
    assert budgets.can_agree_contribution(who, FROM_PARTNER) is agree
    # With a named approver only that membership agrees for the partner.
    assert budgets.can_agree_contribution(who, FROM_APPROVER) is (
        agree and who.membership_id == 102
    )
