"""Market insight over the platform's own published contracting processes.

The releases Fullvalue publishes (``publication.ocds``) are compiled process by process and
measured by the engine (``fullvalue.engine.market``): the voluntary sector's and small
organisations' shares of awarded value, and how concentrated the market is. Cached under the
audit chain's version: an award is a write, so the figures are never stale.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fullvalue.engine.market.summary import summarise
from fullvalue.web.audit.selectors import write_version
from fullvalue.web.kernel.caching import cached
from fullvalue.web.publication import ocds

#: The share the voluntary sector has never risen above in prison and probation operational
#: spend (Clinks; the seed): drawn on the market chart.
VCSE_LINE = 0.05


def platform_summary(by: str = "buyer") -> dict[str, Any]:
    """The market figures over every public process, in total and by ``buyer`` or ``year``."""

    def compute() -> dict[str, Any]:
        by_ocid: dict[str, list[Any]] = defaultdict(list)
        for release in ocds.releases_for(ocds.public_processes()):
            by_ocid[release["ocid"]].append(release)
        return summarise((ocds.compile_release(r) for r in by_ocid.values()), by=by)

    return cached("market-summary", [write_version(), by], compute)
