"""A task that fails a set number of times, for the retry tests."""

from fullvalue.web.kernel.tasks import retrying_task

FAILURES_LEFT = {"n": 0}
CALLS: list[str] = []


@retrying_task(max_attempts=3, backoff_seconds=0)
def flaky(message: str) -> str:
    """Fail while ``FAILURES_LEFT`` is positive."""
    CALLS.append(message)
    if FAILURES_LEFT["n"] > 0:
        FAILURES_LEFT["n"] -= 1
        raise RuntimeError("simulated failure")
    return message
