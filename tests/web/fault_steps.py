"""Steps of the crash test, each run as its own process against a scratch database.

``python -m tests.web.fault_steps STEP [ARGS]`` prints JSON. The test
(``test_worker_faults.py``) runs these beside real ``manage.py worker`` processes that it
kills, so nothing here shares memory with the worker.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from decimal import Decimal


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fullvalue.web.settings_test")
    import django

    django.setup()


def setup() -> dict:
    from django.db import transaction

    from fullvalue.domain.roles import Role
    from fullvalue.web.contracts.services import contract_create, supply_chain_set
    from fullvalue.web.delivery.models import Claim, OutcomeEvent, Participant
    from tests.web.delivery_data import MECHANISM
    from tests.web.factories import MembershipFactory, OrganisationFactory

    def member(role: Role, org=None, **kwargs):
        return MembershipFactory(role=role.value, organisation=org or OrganisationFactory(**kwargs))

    with transaction.atomic():
        c = member(Role.COMMISSIONER, legal_form="pcc", sector="public", annual_income=None)
        c2 = member(Role.COMMISSIONER, org=c.organisation)
        prime = member(Role.PROVIDER_ADMIN, annual_income=420_000)
        sub = member(Role.PROVIDER_ADMIN, annual_income=86_000)
        contract = contract_create(
            actor=_actor(c),
            data={
                "title": "Women's centre",
                "provider_id": prime.organisation_id,
                "value": "450000",
                "mechanism_toml": MECHANISM,
            },
        )
        supply_chain_set(
            actor=_actor(prime),
            contract_id=contract.id,
            reason="Partner",
            members=[
                {
                    "organisation_id": sub.organisation_id,
                    "share_of_value": "0.3",
                    "share_of_work": "0.4",
                    "payment_terms_days": 14,
                }
            ],
        )
        people = Participant.objects.bulk_create(
            Participant(
                contract=contract,
                provider_id=prime.organisation_id,
                pseudonym=f"p{i:04d}",
                cohort="2025",
                referred_on=dt.date(2025, 5, 1),
                started_on=dt.date(2025, 5, 2),
            )
            for i in range(40)
        )
        for person in people[:8]:
            event = OutcomeEvent.objects.create(
                participant=person, outcome="settled_accommodation", occurred_on=dt.date(2025, 9, 1)
            )
            Claim.objects.create(event=event, status=Claim.Status.ACCEPTED)
    return {"contract": contract.id, "c": c.id, "c2": c2.id, "sub": sub.id}


def _actor(membership):
    from fullvalue.web.accounts.services import actor_for_membership

    return actor_for_membership(membership)


def _membership(pk: str):
    from fullvalue.web.accounts.models import Membership

    return Membership.objects.get(id=int(pk))


def request_run(contract: str, membership: str, period: str) -> dict:
    from fullvalue.web.payruns.services import payrun_request

    run = payrun_request(
        actor=_actor(_membership(membership)), contract_id=int(contract), period=period
    )
    return {"run": run.id}


def approve(run: str, membership: str) -> dict:
    from fullvalue.errors import FullvalueError
    from fullvalue.web.payruns.services import payrun_approve

    try:
        payrun_approve(
            actor=_actor(_membership(membership)), run_id=int(run), paid_on=dt.date(2026, 4, 10)
        )
    except FullvalueError as exc:
        return {"refused": exc.message}
    return {"approved": int(run)}


def request_import(contract: str, membership: str, rows: str) -> dict:
    from fullvalue.web.delivery.services import import_preview, import_start

    actor = _actor(_membership(membership))
    lines = ["case_reference,referred_on,started_on,cohort"]
    lines += [f"S{i:05d},2025-06-01,2025-06-02,2025" for i in range(int(rows))]
    job, _ = import_preview(
        actor=actor,
        contract_id=int(contract),
        filename="people.csv",
        content=("\n".join(lines) + "\n").encode(),
    )
    import_start(actor=actor, job_id=job.id, valid_rows_only=False)
    return {"job": job.id}


def state(contract: str) -> dict:
    from django_tasks_db.models import DBTaskResult

    from fullvalue.web.delivery.models import ImportJob, Participant
    from fullvalue.web.payruns.models import FlowDownPayment, PaymentRun

    runs = PaymentRun.objects.filter(contract_id=int(contract)).order_by("id")
    return {
        "runs": [[r.period, r.status, str(r.total)] for r in runs],
        "approved_total": str(sum((r.total for r in runs if r.status == "approved"), Decimal(0))),
        "flow_down": [str(p.amount) for p in FlowDownPayment.objects.order_by("id")],
        "tasks": sorted(
            [t.task_path.rsplit(".", 1)[-1], t.status] for t in DBTaskResult.objects.all()
        ),
        "participants": Participant.objects.filter(contract_id=int(contract)).count(),
        "imports": [[j.status, j.processed_rows] for j in ImportJob.objects.order_by("id")],
    }


def serve() -> dict:
    """Answer pages and the health check as the web service does (a request each)."""
    from django.test import Client

    client = Client()
    health = client.get("/healthz")
    return {
        "pages": [client.get(path).status_code for path in ("/", "/organisations/")],
        "health": [health.status_code, health.json()],
    }


STEPS = {
    "serve": serve,
    "setup": setup,
    "request-run": request_run,
    "approve": approve,
    "request-import": request_import,
    "state": state,
}

if __name__ == "__main__":
    _setup_django()
    print(json.dumps(STEPS[sys.argv[1]](*sys.argv[2:])))
