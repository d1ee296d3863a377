"""One benchmark step in its own Django process; writes its result as JSON to ``--out``.

    worker.py setup --out world.json              migrate, create a contract and a provider
    worker.py ours --csv F --truth T --world W --out R
    worker.py peer-default | peer-bulk (same arguments)

Run by ``run.py`` with ``DJANGO_SETTINGS_MODULE`` and ``DATABASE_URL`` set.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from fullvalue.domain.roles import Role  # noqa: E402
from fullvalue.web.accounts.models import Membership, User  # noqa: E402
from fullvalue.web.accounts.services import actor_for_membership  # noqa: E402
from fullvalue.web.contracts.services import contract_create  # noqa: E402
from fullvalue.web.delivery import imports  # noqa: E402
from fullvalue.web.delivery.models import ImportJob, Participant, ParticipantIdentity  # noqa: E402
from fullvalue.web.delivery.services import import_preview, import_run, import_start  # noqa: E402
from fullvalue.web.organisations.models import Organisation  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def setup() -> dict:
    call_command("migrate", verbosity=0, interactive=False)
    commissioner = Organisation.objects.create(
        name="Bench PCC", slug="bench-pcc", legal_form="pcc", sector="public"
    )
    provider = Organisation.objects.create(
        name="Bench provider", slug="bench-provider", legal_form="cic", sector="voluntary"
    )
    people = {}
    for role, org in ((Role.COMMISSIONER, commissioner), (Role.PROVIDER_ADMIN, provider)):
        user = User.objects.create(email=f"{role.value}@bench.example", full_name=role.value)
        people[role] = Membership.objects.create(user=user, organisation=org, role=role.value)
    contract = contract_create(
        actor=actor_for_membership(people[Role.COMMISSIONER]),
        data={
            "title": "Import benchmark",
            "provider_id": provider.id,
            "value": "1000000",
            "mechanism_toml": (ROOT / "examples/womens-centre/contract.toml").read_text(),
            "start_date": "2024-01-01",
            "end_date": "2027-12-31",
        },
    )
    return {
        "contract_id": contract.id,
        "provider_id": provider.id,
        "membership_id": people[Role.PROVIDER_ADMIN].id,
    }


def reset(contract_id: int) -> None:
    ParticipantIdentity.objects.filter(participant__contract_id=contract_id).delete()
    Participant.objects.filter(contract_id=contract_id).delete()
    ImportJob.objects.filter(contract_id=contract_id).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE delivery_participant")
            cursor.execute("VACUUM ANALYZE delivery_participantidentity")


def stored(contract_id: int, truth: dict) -> dict:
    """What is in the database, against the valid rows of the file."""
    refs = list(
        ParticipantIdentity.objects.filter(participant__contract_id=contract_id).values_list(
            "case_reference", flat=True
        )
    )
    participants = Participant.objects.filter(contract_id=contract_id).count()
    valid = set(truth["valid_refs"])
    return {
        "participants": participants,
        "identities": len(refs),
        "valid_rows_imported": len(valid & set(refs)),
        "imported_not_valid": len(set(refs) - valid),
        "imported_more_than_once": len(refs) - len(set(refs)),
        "every_valid_row_once": participants == len(refs) == len(valid) == len(set(refs))
        and set(refs) == valid,
    }


def named(reported: dict[int, set[str]], truth: dict) -> dict:
    """How many of the bad rows were named by row, and by row and the faulty column."""
    bad = {int(r): v["column"] for r, v in truth["bad"].items()}
    return {
        "bad_rows": len(bad),
        "named_row_and_column": sum(1 for r, c in bad.items() if c in reported.get(r, ())),
        "named_row": sum(1 for r in bad if r in reported),
        "reported_rows_not_bad": len(set(reported) - set(bad)),
    }


def ours(args, truth: dict, world: dict) -> dict:
    cid, pid = world["contract_id"], world["provider_id"]
    name = Path(args.csv).name
    reset(cid)
    t0 = time.perf_counter()
    content = Path(args.csv).read_bytes()
    parsed = imports.parse_file(name, content, set())
    t1 = time.perf_counter()
    counts = imports.write_participants(cid, pid, parsed)
    t2 = time.perf_counter()
    reported: dict[int, set[str]] = {}
    for p in parsed.problems:
        if p.row and p.column and p.reason:
            reported.setdefault(p.row, set()).add(p.column)
    core = {
        "seconds": t2 - t0,
        "parse_validate_s": t1 - t0,
        "write_s": t2 - t1,
        "created": counts["created"],
        **stored(cid, truth),
        **named(reported, truth),
    }
    t0 = time.perf_counter()
    again = imports.write_participants(cid, pid, imports.parse_file(name, content, set()))
    core["reimport_s"] = time.perf_counter() - t0
    core["reimport_created"] = again["created"]
    core["after_reimport"] = stored(cid, truth)["participants"]

    actor = actor_for_membership(Membership.objects.get(id=world["membership_id"]))

    def through_services() -> tuple[dict, float]:
        start = time.perf_counter()
        job, _ = import_preview(actor=actor, contract_id=cid, filename=name, content=content)
        import_start(actor=actor, job_id=job.id, valid_rows_only=True)
        result = import_run(job.id)
        return result, time.perf_counter() - start

    reset(cid)
    result, seconds = through_services()
    services = {
        "seconds": seconds,
        "created": result["created"],
        "bad_rows_reported": result["bad_rows"],
        **stored(cid, truth),
    }
    again, seconds = through_services()
    services["reimport_s"] = seconds
    services["reimport_created"] = again["created"]
    services["reimport_already_there"] = again["already_there"]
    services["after_reimport"] = stored(cid, truth)["participants"]
    return {"core": core, "services": services}


def peer(args, truth: dict, world: dict, *, bulk: bool) -> dict:
    import tablib
    from peer import participant_resource

    cid, pid = world["contract_id"], world["provider_id"]
    reset(cid)
    resource = participant_resource(cid, pid, bulk=bulk)()
    t0 = time.perf_counter()
    text = Path(args.csv).read_bytes().decode("utf-8-sig")
    dataset = tablib.Dataset().load(text, format="csv")
    result = resource.import_data(dataset, dry_run=False)
    seconds = time.perf_counter() - t0
    reported: dict[int, set[str]] = {}
    for invalid in result.invalid_rows:
        reported.setdefault(invalid.number + 1, set()).update(invalid.error_dict)
    for number, _ in result.row_errors():
        reported.setdefault(number + 1, set())
    return {
        "seconds": seconds,
        "totals": dict(result.totals),
        "row_errors": len(result.row_errors()),
        "batch_errors": len(result.base_errors),
        "first_batch_error": str(result.base_errors[0].error)[:300] if result.base_errors else "",
        **stored(cid, truth),
        **named(reported, truth),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["setup", "ours", "peer-default", "peer-bulk"])
    parser.add_argument("--csv")
    parser.add_argument("--truth")
    parser.add_argument("--world")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.action == "setup":
        out = setup()
    else:
        truth = json.loads(Path(args.truth).read_text())
        world = json.loads(Path(args.world).read_text())
        if args.action == "ours":
            out = ours(args, truth, world)
        else:
            out = peer(args, truth, world, bulk=args.action == "peer-bulk")
    out["vendor"] = connection.vendor
    out["pid"] = os.getpid()
    Path(args.out).write_text(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
