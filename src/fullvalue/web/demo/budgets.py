"""A community budget in the demo world: four Lancashire agencies pool money for families.

Lancashire County Council leads it (the demo commissioner holds a second role there); the
Lancashire Police and Crime Commissioner, probation (HMPPS, the demo commissioner's own
organisation) and the integrated care board are partners. The business case is the project's
example (``examples/community-budget/case.toml``) with the agencies named after them: it pays
back in year 4 for the council but never for the PCC. Year 1's contributions are agreed; HMPPS's
year 2 contribution waits for the demo commissioner to agree it. £300,000 of the pool is
committed to the council's family resettlement programme (in standstill in the demo world).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from fullvalue.domain.roles import Role
from fullvalue.web.accounts.models import Membership
from fullvalue.web.accounts.services import actor_for_membership
from fullvalue.web.budgets import services
from fullvalue.web.demo.commissioning import demo_member
from fullvalue.web.organisations.models import Organisation
from fullvalue.web.programmes.selectors import programmes_of

CASE = Path(settings.BASE_DIR) / "examples" / "community-budget" / "case.toml"
DOMAIN = "demo.fullvalue.test"
COUNCIL = "Lancashire County Council"
PCC = "Lancashire Police and Crime Commissioner"
HMPPS = "Ministry of Justice (HMPPS)"
ICB = "Lancashire and South Cumbria Integrated Care Board"
#: The example's agencies, and who they are in the demo world.
NAMES = {
    "Anytown families with complex needs": "Lancashire families with complex needs",
    "Anytown Police and Crime Commissioner": PCC,
    "Probation Service, Anytown region": HMPPS,
    "Anytown Council": COUNCIL,
    "Anytown Integrated Care Board": ICB,
}
#: (partner, year, amount, kind, agreed)
CONTRIBUTIONS = [
    (COUNCIL, 1, "250000", "pooled", True),
    (PCC, 1, "60000", "pooled", True),
    (HMPPS, 1, "40000", "pooled", True),
    (ICB, 1, "50000", "aligned", True),
    (HMPPS, 2, "40000", "pooled", False),
]


def demo_case() -> str:
    """The example business case with the demo world's agencies."""
    text = CASE.read_text(encoding="utf-8")
    for old, new in NAMES.items():
        text = text.replace(old, new)
    return text


def build_budgets_demo(orgs: dict[str, Organisation], password: str) -> None:
    """The budget, its partners and year 1's contributions (agreed) and one waiting."""
    lead = actor_for_membership(
        Membership.objects.select_related("user", "organisation").get(
            user__email=f"commissioner@{DOMAIN}", organisation=orgs[COUNCIL]
        )
    )
    budget = services.budget_create(
        actor=lead,
        name="Lancashire families with complex needs",
        cohort=(
            "Families with complex needs where someone is in contact with the justice system, "
            "in Preston, Burnley and Blackpool."
        ),
        case_toml=demo_case(),
        partner_ids=[orgs[PCC].id, orgs[HMPPS].id, orgs[ICB].id],
    )
    approvers = {
        COUNCIL: demo_member(
            orgs[COUNCIL], Role.COMMISSIONER, f"finance.lancs@{DOMAIN}", "Alan Pryce", password
        ),
        PCC: demo_member(
            orgs[PCC], Role.COMMISSIONER, f"commissioner.lancspcc@{DOMAIN}", "Gill Horner", password
        ),
        HMPPS: demo_member(
            orgs[HMPPS], Role.COMMISSIONER, f"finance@{DOMAIN}", "Jo Finch", password
        ),
        ICB: demo_member(
            orgs[ICB], Role.COMMISSIONER, f"commissioner.icb@{DOMAIN}", "Nia Roberts", password
        ),
    }
    for partner, year, amount, kind, agreed in CONTRIBUTIONS:
        contribution = services.contribution_record(
            actor=lead,
            budget_id=budget.id,
            data={
                "partner": str(orgs[partner].id),
                "year": str(year),
                "amount": amount,
                "kind": kind,
            },
        )
        if agreed:
            services.contribution_agree(actor=approvers[partner], contribution_id=contribution.id)
    services.commitment_add(
        actor=lead,
        budget_id=budget.id,
        programme_id=next(
            i for i, title, _ in programmes_of(orgs[COUNCIL].id) if "community budget" in title
        ),
        amount="300000",
    )
