"""Background tasks through Django's tasks interface (``django-tasks``, database backend).

django-tasks runs a task once. :func:`retrying_task` adds retries: when an attempt raises, the
attempt is recorded as failed (visible to system administrators on the Tasks page) and, until
``max_attempts`` is reached, the task is enqueued again after an exponential back-off.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)


def retrying_task(
    *, max_attempts: int = 3, backoff_seconds: int = 30, **task_options: Any
) -> Callable[[Callable[..., Any]], Any]:
    """Declare a task that is retried when it fails, up to ``max_attempts`` in all.

    The attempt number travels in the keyword ``_attempt`` (1 for the first run). The delay
    before attempt ``n + 1`` is ``backoff_seconds * 2 ** (n - 1)``.
    """

    def decorator(func: Callable[..., Any]) -> Any:
        @functools.wraps(func)
        def runner(*args: Any, _attempt: int = 1, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception:
                if _attempt < max_attempts:
                    delay = timedelta(seconds=backoff_seconds * 2 ** (_attempt - 1))
                    logger.warning(
                        "task %s failed on attempt %s; retrying in %s",
                        func.__name__,
                        _attempt,
                        delay,
                    )
                    declared.using(run_after=timezone.now() + delay).enqueue(
                        *args, _attempt=_attempt + 1, **kwargs
                    )
                raise

        runner.max_attempts = max_attempts  # type: ignore[attr-defined]
        declared = task(**task_options)(runner)
        return declared

    return decorator
