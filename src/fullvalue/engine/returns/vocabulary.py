"""The shared vocabulary of outcome codes, shipped as ``vocabulary.toml`` beside this module.

A provider records each participant's progress once, against these codes; every funder's
framework (:mod:`fullvalue.engine.returns.framework`) counts the same codes. Codes are grouped
by the seven pathways to reducing reoffending; the ``star.<area>`` codes are Fullvalue's own
distance-travelled scales, read 1 (lowest) to 10 in five stages of two readings.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

ValueKind = Literal["none", "amount", "count", "reading"]
VALUE_KINDS: tuple[str, ...] = ("none", "amount", "count", "reading")
READINGS = range(1, 11)


@dataclass(frozen=True)
class Pathway:
    """One of the seven pathways to reducing reoffending."""

    id: str
    label: str


@dataclass(frozen=True)
class Code:
    """An outcome code: what happened, in which pathway, and what its value holds.

    ``value`` is ``"none"`` (the record is the event), ``"amount"`` (GBP), ``"count"`` or
    ``"reading"`` (a scale reading, a whole number 1-10).
    """

    code: str
    pathway: str
    label: str
    value: ValueKind


@dataclass(frozen=True)
class Stage:
    """A stage of every distance-travelled scale: the readings it covers and what they mean."""

    readings: tuple[int, ...]
    label: str
    description: str


@dataclass(frozen=True)
class Vocabulary:
    """A version of the shared vocabulary."""

    version: str
    pathways: tuple[Pathway, ...]
    codes: dict[str, Code]
    stages: tuple[Stage, ...]

    def scales(self) -> list[str]:
        """Return the distance-travelled scale codes (``star.<area>``), in file order."""
        return [c.code for c in self.codes.values() if c.value == "reading"]

    def stage_of(self, reading: int) -> Stage:
        """Return the stage a scale reading falls in.

        Examples
        --------
        >>> load_vocabulary().stage_of(6).label
        'First steps'

        """
        for stage in self.stages:
            if reading in stage.readings:
                return stage
        raise ValueError(f"{reading} is not a scale reading (1-10)")


def _vocabulary(data: dict[str, Any]) -> Vocabulary:
    pathways = tuple(Pathway(p["id"], p["label"]) for p in data["pathways"])
    known = {p.id for p in pathways}
    codes: dict[str, Code] = {}
    for entry in data["codes"]:
        code = Code(entry["code"], entry["pathway"], entry["label"], entry["value"])
        if code.pathway not in known or code.value not in VALUE_KINDS or code.code in codes:
            raise ValueError(f"vocabulary.toml: bad entry for {code.code!r}")
        if code.value == "reading" and not code.code.startswith("star."):
            raise ValueError(f"vocabulary.toml: scale {code.code!r} must be named star.<area>")
        codes[code.code] = code
    stages = tuple(
        Stage(tuple(s["readings"]), s["label"], s["description"]) for s in data["stages"]
    )
    if sorted(r for s in stages for r in s.readings) != list(READINGS):
        raise ValueError("vocabulary.toml: the stages must cover readings 1-10 once each")
    return Vocabulary(str(data["version"]), pathways, codes, stages)


@cache
def load_vocabulary() -> Vocabulary:
    """Load the shared vocabulary shipped with the engine.

    Returns
    -------
    Vocabulary
        The version, the seven pathways, the codes by name and the scale stages.

    Examples
    --------
    >>> vocabulary = load_vocabulary()
    >>> vocabulary.version
    '1.0.0'
    >>> len(vocabulary.pathways)
    7
    >>> vocabulary.codes["ete.job_start"].pathway
    'ete'
    >>> vocabulary.scales()[:2]
    ['star.home', 'star.work']

    """
    text = resources.files(__package__).joinpath("vocabulary.toml").read_text(encoding="utf-8")
    return _vocabulary(tomllib.loads(text))
