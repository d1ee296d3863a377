"""The demo world: believable organisations, one person per role, second factors enrolled.

Deterministic: the same data in the same order every time, built through the services so the
audit trail records it like any other write. The exceptions: demo people, their memberships
and authenticators are created directly (in a real deployment people join by invitation), and
the delivery contract's start is backdated, which the audit trail records as ``demo.backdate``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from fullvalue.domain.roles import SECOND_FACTOR_ROLES, Role
from fullvalue.web.accounts.models import Membership, User
from fullvalue.web.demo.budgets import build_budgets_demo
from fullvalue.web.demo.challenges import build_challenges_demo
from fullvalue.web.demo.commissioning import build_commissioning_demo, demo_member
from fullvalue.web.demo.delivery import build_delivery_demo
from fullvalue.web.demo.devices import enrol_demo_device
from fullvalue.web.demo.investments import build_investments_demo
from fullvalue.web.demo.models import DemoMarker
from fullvalue.web.demo.reporting import build_reporting_demo
from fullvalue.web.demo.socialvalue import build_socialvalue_demo
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.organisations.services import organisation_create

DEMO_PASSWORD = "fullvalue-demo-2026"
DEMO_DOMAIN = "demo.fullvalue.test"

NW, WM, SW, LON, YH, NE, EM, EE, SE = (
    "E12000002",
    "E12000005",
    "E12000009",
    "E12000007",
    "E12000003",
    "E12000001",
    "E12000004",
    "E12000006",
    "E12000008",
)

#: name, legal form, sector, identifiers, income, regions, police force areas, led-by flags, town,
#: description
ORGANISATIONS: list[dict] = [
    dict(
        name="Ministry of Justice (HMPPS)",
        legal_form="public_body",
        sector="public",
        identifiers=["GB-GOR-D18"],
        annual_income=None,
        regions=[],
        town="London",
        description="Commissions probation and prison rehabilitation services in England and Wales.",
    ),
    dict(
        name="HMPPS Probation Service – North West",
        legal_form="public_body",
        sector="public",
        identifiers=["GB-GOR-PB725"],
        regions=[NW],
        police_force_areas=[
            "cheshire",
            "cumbria",
            "greater-manchester",
            "lancashire",
            "merseyside",
        ],
        town="Manchester",
        description="Probation region commissioning Commissioned Rehabilitative Services.",
    ),
    dict(
        name="West Midlands Police and Crime Commissioner",
        legal_form="pcc",
        sector="public",
        identifiers=["GB-PCC-WMIDS"],
        regions=[WM],
        police_force_areas=["west-midlands"],
        town="Birmingham",
        description="Commissions victim services and reducing-reoffending programmes.",
    ),
    dict(
        name="Avon and Somerset Police and Crime Commissioner",
        legal_form="pcc",
        sector="public",
        identifiers=["GB-PCC-AVSOM"],
        regions=[SW],
        police_force_areas=["avon-and-somerset"],
        town="Portishead",
        description="Runs community consultation before the police and crime plan.",
    ),
    dict(
        name="Lancashire County Council",
        legal_form="local_authority",
        sector="public",
        identifiers=["GB-LAE-LAN"],
        regions=[NW],
        police_force_areas=["lancashire"],
        town="Preston",
        description="Pools budgets for families with complex needs with probation and health partners.",
    ),
    dict(
        name="Lancashire Police and Crime Commissioner",
        legal_form="pcc",
        sector="public",
        identifiers=["GB-PCC-LANCS"],
        regions=[NW],
        police_force_areas=["lancashire"],
        town="Preston",
        description="Pools money with the county council, probation and health for families with complex needs.",
    ),
    dict(
        name="Lancashire and South Cumbria Integrated Care Board",
        legal_form="public_body",
        sector="public",
        identifiers=["GB-GOR-QE1"],
        regions=[NW],
        town="Preston",
        description="Plans and pays for NHS services; a partner in the county's community budget.",
    ),
    dict(
        name="Second Chance Trust",
        legal_form="registered_charity",
        sector="voluntary",
        identifiers=["GB-CHC-1098723", "GB-COH-04721356"],
        annual_income="64500000",
        regions=[NW, WM, LON, YH, NE],
        police_force_areas=["greater-manchester", "west-midlands", "metropolitan"],
        town="London",
        description="National charity delivering resettlement and employment services; prime contractor.",
    ),
    dict(
        name="Meridian Justice Services Ltd",
        legal_form="private_company",
        sector="private",
        identifiers=["GB-COH-08812345"],
        annual_income="182000000",
        regions=[NW, WM, SW, SE],
        town="Reading",
        description="Outsourcing company holding probation and employment contracts.",
    ),
    dict(
        name="Calder Rehabilitation plc",
        legal_form="private_company",
        sector="private",
        identifiers=["GB-COH-06633481"],
        annual_income="41200000",
        regions=[YH, NE, EM],
        town="Leeds",
        description="Rehabilitation and accommodation services provider.",
    ),
    dict(
        name="Moss Side Women's Centre",
        legal_form="cio",
        sector="voluntary",
        identifiers=["GB-CHC-1167342"],
        annual_income="420000",
        regions=[NW],
        police_force_areas=["greater-manchester"],
        led_by_women=True,
        town="Manchester",
        description="Women's centre offering a holistic, trauma-informed service to women in contact with the justice system.",
    ),
    dict(
        name="Black Mentors Collective",
        legal_form="cic",
        sector="voluntary",
        identifiers=["GB-COH-11234567"],
        annual_income="86000",
        regions=[WM],
        police_force_areas=["west-midlands"],
        led_by_black_minoritised=True,
        led_by_lived_experience=True,
        town="Birmingham",
        description="Black-led mentoring for young men leaving custody.",
    ),
    dict(
        name="Open Gate Peer Support",
        legal_form="registered_charity",
        sector="voluntary",
        identifiers=["GB-CHC-1182290"],
        annual_income="7800",
        regions=[SW],
        police_force_areas=["avon-and-somerset"],
        led_by_lived_experience=True,
        town="Bristol",
        description="Peer support group run by people with lived experience of prison.",
    ),
    dict(
        name="Pennine Housing First",
        legal_form="clg",
        sector="voluntary",
        identifiers=["GB-COH-09345671"],
        annual_income="2300000",
        regions=[NW, YH],
        police_force_areas=["lancashire", "west-yorkshire"],
        town="Burnley",
        description="Housing First accommodation for people leaving prison.",
    ),
    dict(
        name="Tyne Recovery Network",
        legal_form="registered_charity",
        sector="voluntary",
        identifiers=["GB-CHC-1145519"],
        annual_income="640000",
        regions=[NE],
        police_force_areas=["northumbria"],
        led_by_lived_experience=True,
        town="Newcastle upon Tyne",
        description="Drug and alcohol recovery community.",
    ),
    dict(
        name="Family Links Cymru",
        legal_form="cio",
        sector="voluntary",
        identifiers=["GB-CHC-1190021"],
        annual_income="155000",
        regions=["W92000004"],
        police_force_areas=["south-wales"],
        town="Cardiff",
        description="Support for children and families of people in prison.",
    ),
    dict(
        name="Workwise Futures CIC",
        legal_form="cic",
        sector="voluntary",
        identifiers=["GB-COH-12876543"],
        annual_income="38000",
        regions=[EM],
        police_force_areas=["nottinghamshire"],
        town="Nottingham",
        description="Employment coaching and employer brokerage for people with convictions.",
    ),
    dict(
        name="Sahara Women's Project",
        legal_form="registered_charity",
        sector="voluntary",
        identifiers=["GB-CHC-1123876"],
        annual_income="95000",
        regions=[LON],
        police_force_areas=["metropolitan"],
        led_by_women=True,
        led_by_black_minoritised=True,
        town="London",
        description="By-and-for support for Black and Asian women offenders.",
    ),
    dict(
        name="Access Ability Justice",
        legal_form="cio",
        sector="voluntary",
        identifiers=["GB-CHC-1201457"],
        annual_income="22000",
        regions=[SE],
        police_force_areas=["kent"],
        led_by_disabled=True,
        town="Maidstone",
        description="Advocacy for disabled people and people with learning disabilities in the justice system.",
    ),
    dict(
        name="Greenway Mutual",
        legal_form="mutual",
        sector="voluntary",
        identifiers=["GB-MPR-31877R"],
        annual_income="1400000",
        regions=[WM],
        police_force_areas=["west-mercia"],
        town="Worcester",
        description="Employee-led mutual spun out of a probation trust.",
    ),
    dict(
        name="Fresh Start Debt Advice",
        legal_form="registered_charity",
        sector="voluntary",
        identifiers=["GB-CHC-1076654"],
        annual_income="310000",
        regions=[YH],
        police_force_areas=["south-yorkshire"],
        town="Sheffield",
        description="Finance, benefit and debt advice in prisons and the community.",
    ),
    dict(
        name="Clyde Through the Gate",
        legal_form="registered_charity",
        sector="voluntary",
        identifiers=["GB-SC-SC043995"],
        annual_income="780000",
        regions=["S92000003"],
        police_force_areas=["police-scotland"],
        town="Glasgow",
        description="Through-the-gate mentoring for short-sentence prisoners.",
    ),
    dict(
        name="Foyle Restorative Justice",
        legal_form="registered_charity",
        sector="voluntary",
        identifiers=["GB-NIC-104512"],
        annual_income="180000",
        regions=["N92000002"],
        police_force_areas=["psni"],
        town="Derry",
        description="Community restorative justice.",
    ),
    dict(
        name="Anchor Arts in Prisons",
        legal_form="registered_charity",
        sector="voluntary",
        identifiers=["GB-CHC-1110987"],
        annual_income="54000",
        regions=[EE],
        police_force_areas=["norfolk", "suffolk"],
        town="Norwich",
        description="Arts programmes that build attitudes, thinking and behaviour.",
    ),
    dict(
        name="Kinship Carers Support Group",
        legal_form="registered_charity",
        sector="voluntary",
        identifiers=["GB-CHC-1187763"],
        annual_income="4300",
        regions=[NW],
        police_force_areas=["merseyside"],
        led_by_women=True,
        town="Liverpool",
        description="Volunteer-run support for grandparents caring for children of prisoners.",
    ),
    dict(
        name="Step Up Social Enterprise",
        legal_form="social_enterprise",
        sector="voluntary",
        identifiers=["GB-COH-10455678"],
        annual_income="265000",
        regions=[SW],
        police_force_areas=["devon-and-cornwall"],
        led_by_lived_experience=True,
        town="Plymouth",
        description="Social enterprise employing people with convictions in catering.",
    ),
    dict(
        name="Bridgewater Social Investment",
        legal_form="private_company",
        sector="private",
        identifiers=["GB-COH-07712093"],
        annual_income="5200000",
        regions=[LON],
        town="London",
        description="Social investor providing working capital to outcome contracts.",
    ),
    dict(
        name="Stretford Residents' Association",
        legal_form="clg",
        sector="voluntary",
        identifiers=["GB-COH-13456789"],
        annual_income="3100",
        regions=[NW],
        police_force_areas=["greater-manchester"],
        town="Stretford",
        description="Residents' association taking part in commissioning decisions.",
    ),
    dict(
        name="Government Internal Audit Agency",
        legal_form="public_body",
        sector="public",
        identifiers=["GB-GOR-EA1045"],
        town="London",
        description="Internal audit for government departments.",
    ),
    dict(
        name="Fullvalue Service Team",
        legal_form="public_body",
        sector="public",
        identifiers=["GB-GOR-FV1"],
        town="London",
        description="Runs this Fullvalue service.",
    ),
]


@dataclass(frozen=True)
class DemoLogin:
    """A demo person: email, name, role and the organisation they act for."""

    email: str
    name: str
    role: Role
    organisation: str

    @property
    def needs_code(self) -> bool:
        """Whether signing in asks for a second-factor code."""
        return self.role in SECOND_FACTOR_ROLES


LOGINS = [
    DemoLogin(
        f"commissioner@{DEMO_DOMAIN}",
        "Priya Shah",
        Role.COMMISSIONER,
        "Ministry of Justice (HMPPS)",
    ),
    DemoLogin(
        f"evaluator@{DEMO_DOMAIN}",
        "Tom Okafor",
        Role.EVALUATOR,
        "West Midlands Police and Crime Commissioner",
    ),
    DemoLogin(f"prime@{DEMO_DOMAIN}", "Helen Marsh", Role.PROVIDER_ADMIN, "Second Chance Trust"),
    DemoLogin(
        f"provider@{DEMO_DOMAIN}", "Aisha Begum", Role.PROVIDER_ADMIN, "Moss Side Women's Centre"
    ),
    DemoLogin(
        f"staff@{DEMO_DOMAIN}", "Marcus Reid", Role.PROVIDER_STAFF, "Black Mentors Collective"
    ),
    DemoLogin(
        f"admin.bmc@{DEMO_DOMAIN}",
        "Kwame Mensah",
        Role.PROVIDER_ADMIN,
        "Black Mentors Collective",
    ),
    DemoLogin(
        f"admin.workwise@{DEMO_DOMAIN}", "Ruby Singh", Role.PROVIDER_ADMIN, "Workwise Futures CIC"
    ),
    DemoLogin(
        f"investor@{DEMO_DOMAIN}", "Claire Dunn", Role.INVESTOR, "Bridgewater Social Investment"
    ),
    DemoLogin(
        f"community@{DEMO_DOMAIN}",
        "Joe Bailey",
        Role.COMMUNITY_MEMBER,
        "Stretford Residents' Association",
    ),
    DemoLogin(
        f"auditor@{DEMO_DOMAIN}", "Ruth Adeyemi", Role.AUDITOR, "Government Internal Audit Agency"
    ),
    DemoLogin(f"admin@{DEMO_DOMAIN}", "Sam Taylor", Role.SYSTEM_ADMIN, "Fullvalue Service Team"),
]

#: Demo people the commissioning and delivery builders create, printed after the logins above
#: so every journey can be finished: the second commissioner who approves payment runs, every
#: evaluator on a panel, and the lead of the bid whose standstill has ended.
TEAM_LOGINS = [
    DemoLogin(
        f"finance@{DEMO_DOMAIN}", "Jo Finch", Role.COMMISSIONER, "Ministry of Justice (HMPPS)"
    ),
    DemoLogin(
        f"panel.nw@{DEMO_DOMAIN}", "Dev Patel", Role.EVALUATOR, "Ministry of Justice (HMPPS)"
    ),
    DemoLogin(
        f"panel2.nw@{DEMO_DOMAIN}", "Anne Hughes", Role.EVALUATOR, "Ministry of Justice (HMPPS)"
    ),
    DemoLogin(
        f"panel.lancs@{DEMO_DOMAIN}", "Mo Farah-Jones", Role.EVALUATOR, "Lancashire County Council"
    ),
    DemoLogin(
        f"admin.freshstart@{DEMO_DOMAIN}",
        "Sam Okoro",
        Role.PROVIDER_ADMIN,
        "Fresh Start Debt Advice",
    ),
]


@transaction.atomic
def build_demo_world() -> list[DemoLogin]:
    """Create the demo world in an empty database; return the demo logins."""
    actor = Actor.system("demo")
    by_name = {}
    for spec in ORGANISATIONS:
        org = organisation_create(actor=actor, data=dict(spec))
        by_name[org.name] = org
    for login in LOGINS:
        user = User.objects.create_user(login.email, DEMO_PASSWORD, full_name=login.name)
        Membership.objects.create(
            user=user, organisation=by_name[login.organisation], role=login.role.value
        )
        if login.needs_code:
            enrol_demo_device(user)
    # A second role for the commissioner, to show switching roles.
    commissioner = User.objects.get(email=LOGINS[0].email)
    Membership.objects.create(
        user=commissioner,
        organisation=by_name["Lancashire County Council"],
        role=Role.COMMISSIONER.value,
    )
    # A second community member, from the same residents' association.
    demo_member(
        by_name["Stretford Residents' Association"],
        Role.COMMUNITY_MEMBER,
        f"resident@{DEMO_DOMAIN}",
        "Delroy Campbell",
        DEMO_PASSWORD,
    )
    build_commissioning_demo(by_name, DEMO_PASSWORD)
    build_delivery_demo(by_name, DEMO_PASSWORD)
    build_investments_demo(by_name)
    build_reporting_demo(by_name)
    build_budgets_demo(by_name, DEMO_PASSWORD)
    build_socialvalue_demo(by_name)
    build_challenges_demo(by_name)
    DemoMarker.objects.create()
    return LOGINS
