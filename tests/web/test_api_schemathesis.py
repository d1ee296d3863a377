"""Schemathesis: every API operation, as a provider and as a commissioner, never answers 5xx.

The schema is read from ``/api/v1/openapi.json`` and the requests go through Django's WSGI
application (no server). Each generated request is sent once with a provider's token and once
with a commissioner's, against a small world (a contract in delivery with a supply chain, a
published programme and tender), and must pass schemathesis's ``not_a_server_error``,
``response_schema_conformance`` and ``status_code_conformance`` checks. Examples are bounded and
derandomised so that the run is repeatable and short.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from tests.web.cycle import programme_data, tender_data

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.status_code_conformance,
]
MAX_EXAMPLES = 3


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Requests through the WSGI app must not close the test's connection (and transaction).

    Django closes a connection whose autocommit differs from its settings when a request starts
    and ends; inside a test's transaction that would close it (PostgreSQL). Django's own test
    client disconnects these signal handlers in the same way.
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(chain, api_token, clock, wsgi_keeps_the_test_connection):
    """Bearer headers for the prime (a provider) and the commissioner, over a small world."""
    from fullvalue.web.accounts.models import Membership
    from fullvalue.web.programmes.services import programme_create, programme_publish
    from fullvalue.web.tendering.services import tender_create, tender_publish

    commissioner = chain["c"]
    programme = programme_create(actor=commissioner, data=programme_data())
    programme_publish(actor=commissioner, programme_id=programme.id)
    tender = tender_create(actor=commissioner, programme_id=programme.id, data=tender_data())
    tender_publish(actor=commissioner, tender_id=tender.id)
    return [
        {"Authorization": f"Bearer {api_token(Membership.objects.get(id=chain[k].membership_id))}"}
        for k in ("prime", "c")
    ]


def _operations():
    from fullvalue.web.wsgi import application

    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    return [result.ok() for result in api.get_all_operations()]


def _failures(operations, tokens):
    """Each operation's first failing example, positive and negative, by operation and mode."""
    failures = {}
    for operation in operations:
        raw = operation.definition.raw
        takes_input = bool(raw.get("parameters") or raw.get("requestBody"))
        # An operation that takes no input at all has no wrong input to send it.
        modes = (
            (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            if takes_input
            else (GenerationMode.POSITIVE,)
        )
        for mode in modes:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                for headers in tokens:
                    case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except (Exception, FailureGroup) as exc:  # collected: every operation is reported
                found = getattr(exc, "exceptions", [exc])  # schemathesis groups its failures
                failures[f"{operation.label} ({mode.value})"] = "; ".join(
                    f"{type(e).__name__}: {str(e)[:500]}" for e in found
                )
    return failures


def test_api_conforms_to_its_schema(tokens):
    operations = _operations()
    assert len(operations) == 86  # as tests/web/test_api_shape.py counts them
    assert _failures(operations, tokens) == {}


def test_the_run_would_catch_a_server_error(tokens, monkeypatch):
    from fullvalue.web.contracts import api as contracts_api

    def boom(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(contracts_api, "payment_records", boom)
    contracts = [op for op in _operations() if op.label == "GET /api/v1/contracts"]
    failures = _failures(contracts, tokens)
    assert set(failures) == {"GET /api/v1/contracts (positive)", "GET /api/v1/contracts (negative)"}
    assert "ServerError" in failures["GET /api/v1/contracts (positive)"]
