"""Report once in the demo world: Moss Side Women's Centre reports to four funders.

Two funders are on Fullvalue (HMPPS, whose commissioner is the demo commissioner, and the West
Midlands Police and Crime Commissioner) and two are not (a charitable trust and a lottery-style
fund: their returns are downloaded). Its records: its outcome events through one code mapping,
and progress recorded once in the shared vocabulary (distance-travelled readings, job starts,
debt reduced). Past returns to the two funders on the platform are submitted; the latest is due.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from fullvalue.domain.roles import Role
from fullvalue.engine.returns.framework import parse_framework
from fullvalue.web.accounts.models import Membership
from fullvalue.web.accounts.services import actor_for_membership
from fullvalue.web.delivery.selectors import participants_of_provider
from fullvalue.web.organisations.models import Organisation
from fullvalue.web.reporting import selectors, services
from fullvalue.web.reporting.models import Framework, OutcomeRecord

FRAMEWORKS = Path(settings.BASE_DIR) / "examples" / "frameworks"

#: (code, chance a participant has it, value: None, (low, high) amount, or "reading")
PROGRESS = [
    ("accommodation.settled", 0.35, None),
    ("drugs_alcohol.treatment_start", 0.3, None),
    ("ete.training_start", 0.4, None),
    ("ete.job_start", 0.3, None),
    ("ete.job_sustained_13w", 0.15, None),
    ("ete.qualification", 0.25, None),
    ("ete.volunteering", 0.3, (4, 40)),
    ("family.contact_restored", 0.2, None),
    ("finance.debt_reduced", 0.25, (150, 2400)),
    ("star.choices", 1.0, "reading"),
    ("star.work", 1.0, "reading"),
    ("star.home", 1.0, "reading"),
]


def _example(name: str, **replace: str) -> str:
    """An example framework's text with some of its top-level fields replaced."""
    text = (FRAMEWORKS / f"{name}.toml").read_text(encoding="utf-8")
    for key, value in replace.items():
        text = re.sub(rf'(?m)^{key} = "[^"]*"', f'{key} = "{value}"', text, count=1)
    return text


def _framework(actor_membership: Membership | None, name: str, **replace: str) -> int:
    text = _example(name, **replace)
    if actor_membership is None:  # a funder off the platform: kept by the service team
        spec = parse_framework(text)
        return Framework.objects.create(
            slug=spec.id, title=spec.title or spec.id, funder_name=spec.funder,
            spec_toml=text, is_published=True,
        ).id  # fmt: skip
    actor = actor_for_membership(actor_membership)
    return services.framework_save(actor=actor, spec_toml=text).id


def _readings(rng: random.Random, start: dt.date, today: dt.date) -> list[tuple[dt.date, int]]:
    level = rng.randint(2, 5)
    out, day = [], start
    while day <= today:
        out.append((day, level))
        level = max(1, min(10, level + rng.choice([0, 1, 1, 2, -1])))
        day += dt.timedelta(days=rng.randint(70, 120))
    return out


def build_reporting_demo(orgs: dict[str, Organisation]) -> None:
    """Frameworks, adoptions, a code mapping, a year and more of records, submitted returns."""
    hmpps = Membership.objects.get(
        user__email__startswith="commissioner@", organisation=orgs["Ministry of Justice (HMPPS)"]
    )
    pcc_org = orgs["West Midlands Police and Crime Commissioner"]
    pcc = Membership.objects.filter(organisation=pcc_org, role=Role.COMMISSIONER.value).first()
    if pcc is None:
        pcc = Membership.objects.create(
            user=hmpps.user, organisation=pcc_org, role=Role.COMMISSIONER.value
        )
    ids = [
        _framework(
            hmpps,
            "pcc",
            id="hmpps-womens-services",
            funder="Ministry of Justice (HMPPS)",
            title="Women's services: quarterly monitoring",
        ),
        _framework(pcc, "pcc", funder=pcc_org.name),
        _framework(None, "trust"),
        _framework(None, "lottery"),
    ]
    centre = orgs["Moss Side Women's Centre"]
    admin = Membership.objects.get(organisation=centre, role=Role.PROVIDER_ADMIN.value)
    actor = actor_for_membership(admin)
    for framework_id in ids:
        services.framework_adopt(actor=actor, framework_id=framework_id)
    services.mapping_set(
        actor=actor, own_code="settled_accommodation", vocabulary_code="accommodation.settled"
    )
    today = timezone.localdate()
    rng = random.Random(16)
    records = []
    for person in participants_of_provider(centre.id):
        start = person["start_date"]
        for code, chance, value in PROGRESS:
            if rng.random() > chance:
                continue
            if value == "reading":
                records += [
                    OutcomeRecord(
                        provider=centre, participant_id=int(person["participant"]),
                        recorded_on=day, code=code, value=Decimal(level),
                    )
                    for day, level in _readings(rng, start, today)
                ]  # fmt: skip
                continue
            day = start + dt.timedelta(days=rng.randint(20, 400))
            if day > today:
                continue
            amount = None
            if isinstance(value, tuple):
                amount = Decimal(rng.randint(*value))
            records.append(
                OutcomeRecord(
                    provider=centre, participant_id=int(person["participant"]),
                    recorded_on=day, code=code, value=amount,
                )
            )  # fmt: skip
    OutcomeRecord.objects.bulk_create(records)
    # The centre asks its sub-contractor for more than any of its own funders asks of it:
    # flagged to both (Merlin: proportionate monitoring).
    partner_text = _example(
        "pcc",
        id="moss-side-partner-monitoring",
        funder=centre.name,
        title="Partner monitoring: quarterly",
    )
    partner_text += (
        '\n[[indicators]]\nid = "sessions"\nlabel = "Mentoring sessions held"\n'
        'measure = "records"\ncodes = ["attitudes.mentoring_session"]\n'
    )
    partner = services.framework_save(actor=actor, spec_toml=partner_text)
    sahara = Membership.objects.filter(
        organisation=orgs["Sahara Women's Project"], role=Role.PROVIDER_ADMIN.value
    ).first()
    if sahara is not None:
        services.framework_adopt(actor=actor_for_membership(sahara), framework_id=partner.id)
    # Every ended period submitted to the two funders on the platform, except the latest.
    for framework_id in ids[:2]:
        framework = Framework.objects.get(id=framework_id)
        periods = selectors.periods_due(selectors.spec_of(framework), today)
        for start, _end in reversed(periods[1:]):
            services.return_submit(actor=actor, framework_id=framework_id, period_start=start)
