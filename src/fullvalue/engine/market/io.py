"""Read OCDS release and record packages streaming, and compile each contracting process.

A package may run to gigabytes (Find a Tender and Contracts Finder downloads): it is read with
``ijson`` one release at a time, and only what the market measures is kept of each (its ocid,
id, date and tag, the buyer, the parties and the awards). The releases of each process are then
compiled with the OCDS merge rules (``ocdsmerge``, the standard's own library).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import ijson
import ocdsmerge

from fullvalue.errors import FullvalueError, Problem

KEPT = ("ocid", "id", "date", "tag", "buyer", "parties", "awards")

#: The merge rules of the core release schema for the fields kept, so ``ocdsmerge`` needs no
#: schema download: fields omitted when merging, and arrays of objects without ids merged whole.
MERGE_RULES: dict[tuple[str, ...], str] = {
    **{(name,): "omitWhenMerged" for name in ("id", "date", "tag")},
    **dict.fromkeys(
        (
            ("parties", "additionalIdentifiers"),
            ("parties", "details", "classifications"),
            ("buyer", "additionalIdentifiers"),
            ("awards", "suppliers", "additionalIdentifiers"),
            ("awards", "items", "additionalClassifications"),
            ("awards", "amendments", "changes"),
        ),
        "wholeListMerge",
    ),
}
PARTY_KEPT = ("id", "name", "roles", "identifier", "additionalIdentifiers", "details")


def _kind(path: Path) -> str:
    """``releases`` or ``records``: the package's top-level array, found without reading it."""
    try:
        with path.open("rb") as handle:
            for prefix, event, value in ijson.parse(handle):
                if prefix == "" and event == "map_key" and value in ("releases", "records"):
                    return str(value)
                if prefix == "" and event not in ("start_map", "map_key"):
                    break
    except (OSError, ijson.JSONError) as exc:
        raise FullvalueError(
            f"{path}: not an OCDS release or record package ({exc}).",
            problems=[Problem("the file is not JSON, or is cut short", location=str(path))],
        ) from exc
    raise FullvalueError(
        f"{path}: not an OCDS release or record package.",
        problems=[
            Problem(
                "expected a JSON object with a 'releases' or 'records' array", location=str(path)
            )
        ],
    )


def trim(release: Mapping[str, Any]) -> dict[str, Any]:
    """Keep of a release only what the market measures."""
    out = {k: release[k] for k in KEPT if k in release}
    if "parties" in out:
        out["parties"] = [
            {k: p[k] for k in PARTY_KEPT if k in p}
            for p in out["parties"] or []
            if isinstance(p, Mapping)
        ]
    return out


def releases_in(path: str | Path) -> Iterator[tuple[str, dict[str, Any] | list[dict[str, Any]]]]:
    """Yield ``(ocid, trimmed release)`` for a release package, ``(ocid, [compiled])`` for records.

    A record with a ``compiledRecord`` gives it as it is; one with only ``releases`` gives those.
    """
    path = Path(path)
    kind = _kind(path)
    try:
        with path.open("rb") as handle:
            for item in ijson.items(handle, f"{kind}.item"):
                if not isinstance(item, Mapping) or not item.get("ocid"):
                    continue
                ocid = str(item["ocid"])
                if kind == "releases":
                    yield ocid, trim(item)
                elif isinstance(item.get("compiledRecord"), Mapping):
                    yield ocid, [trim(item["compiledRecord"])]
                else:
                    for release in item.get("releases") or []:
                        if isinstance(release, Mapping) and "date" in release:
                            yield ocid, trim(release)
    except ijson.JSONError as exc:
        raise FullvalueError(
            f"{path}: the package's JSON is broken ({exc}).",
            problems=[Problem("the file is not valid JSON", location=str(path))],
        ) from exc


def compiled_processes(paths: Iterable[str | Path]) -> Iterator[dict[str, Any]]:
    """Each contracting process in the packages, compiled from its releases."""
    by_ocid: dict[str, list[dict[str, Any]]] = defaultdict(list)
    compiled_given: dict[str, dict[str, Any]] = {}
    for path in paths:
        for ocid, item in releases_in(path):
            if isinstance(item, list):
                compiled_given[ocid] = item[0]
            else:
                by_ocid[ocid].append(item)
    merger = ocdsmerge.Merger(merge_rules=MERGE_RULES)
    for ocid, releases in by_ocid.items():
        compiled_given.pop(ocid, None)
        dated = [r for r in releases if r.get("date")]
        if not dated:
            continue
        for release in dated:
            release.setdefault("id", f"{ocid}-{release['date']}")
        yield merger.create_compiled_release(dated)
    yield from compiled_given.values()
