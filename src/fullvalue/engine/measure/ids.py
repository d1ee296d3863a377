"""Person ids: how the people and offences tables' ids are read and matched.

The rule (also in ``docs/engine.md``, "Person ids"):

- text ids are compared exactly once the whitespace around them is removed: ``' A1 '`` is
  ``'A1'``, but ``'A1'`` and ``'a1'`` are different people, and so are ``'007'`` and ``'7'``
  (pseudonyms and case references are case-sensitive, and leading zeros are part of PNC serial
  numbers); an id that is empty once trimmed is missing;
- integer ids (Parquet) are compared as numbers; when one table holds integers and the other
  text, the integers are compared by their decimal text (``7`` matches ``'7'``, not ``'007'``).

Matching a few million offences to a million people is the engine's costliest step when ids are
text. :func:`person_positions` does it once, giving each offence its person's row, so the
definition is then applied by direct index (see
:func:`fullvalue.engine.measure.reoffending.person_outcomes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from fullvalue.engine.measure.blocks import in_blocks
from fullvalue.errors import FullvalueError, Problem

IntArray = npt.NDArray[np.int32]
#: Slots per person in each hash table: at this load about 12% of people share a slot with
#: another and are passed to the next, smaller table.
SLOTS_PER_PERSON = 8
_HASH_SEED = 0x5EED


def _values(series: pl.Series) -> np.ndarray:
    # A column as one NumPy array (chunks concatenated); see io.to_numpy for why not to_numpy().
    chunks = series.get_chunks()
    if len(chunks) == 1:
        return chunks[0].to_numpy()
    return np.concatenate([chunk.to_numpy() for chunk in chunks])


def normalise_ids(ids: pl.Series) -> pl.Series:
    """Return person ids as the engine compares them.

    Text loses the whitespace around it and an id that is then empty becomes missing (null);
    categorical columns are read as their text; integers are kept as they are.

    Examples
    --------
    >>> normalise_ids(pl.Series([" A1", "a1 ", "007", "  ", None])).to_list()
    ['A1', 'a1', '007', None, None]
    >>> normalise_ids(pl.Series([7, 8])).to_list()
    [7, 8]

    """
    if isinstance(ids.dtype, pl.Categorical | pl.Enum):
        ids = ids.cast(pl.String)
    if ids.dtype != pl.String:
        return ids
    trimmed = ids.str.strip_chars()
    return trimmed.set(trimmed.str.len_bytes() == 0, None)


def aligned_ids(people_ids: pl.Series, offence_ids: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Give both tables' ids one type: 64-bit integers when both are integers, else text.

    Examples
    --------
    >>> people, offences = aligned_ids(pl.Series([7]), pl.Series(["7", "007"]))
    >>> people.to_list(), offences.to_list()
    (['7'], ['7', '007'])

    """
    left, right = people_ids.dtype, offence_ids.dtype
    if left.is_integer() and right.is_integer():
        return people_ids.cast(pl.Int64), offence_ids.cast(pl.Int64)
    return people_ids.cast(pl.String), offence_ids.cast(pl.String)


def duplicate_positions(ids: pl.Series) -> list[int]:
    """Return the positions of ids that occur more than once (missing ids aside).

    Small non-negative integer ids are counted with one ``bincount``; any other ids are hashed
    and the hashes sorted: when no two hashes are equal no two ids are (equal ids hash alike), so
    the usual answer, none, costs a sort of integers rather than a hash table of text. Only when
    some hashes are equal are the ids themselves compared (``Series.is_duplicated``).

    Examples
    --------
    >>> duplicate_positions(pl.Series([3, 1, 3]))
    [0, 2]
    >>> duplicate_positions(pl.Series(["a", None, "b", None]))
    []
    >>> duplicate_positions(pl.Series(["A1", "a1", "A1"]))
    [0, 2]

    """
    if ids.len() < 2:
        return []
    if ids.dtype.is_integer() and ids.null_count() == 0:
        values = _values(ids)
        if values.min() >= 0 and values.max() < 4 * len(values):
            counts = np.bincount(values)
            if counts.max() <= 1:
                return []
            return np.flatnonzero(counts[values] > 1).tolist()
    hashes = np.sort(_values(ids.drop_nulls().hash(_HASH_SEED)))
    if not np.any(hashes[1:] == hashes[:-1]):
        return []
    mask = ids.is_duplicated() & ids.is_not_null()
    return mask.arg_true().to_list()


#: Text that is a plain non-negative decimal number: no sign, spaces or leading zeros, at most 18
#: digits (so it fits a 64-bit integer). Two such texts are equal exactly when their numbers are.
_PLAIN_NUMBER = r"^(?:0|[1-9][0-9]{0,17})$"


def _plain_numbers(ids: pl.Series) -> pl.Series | None:
    """Text ids as 64-bit integers when every one is a plain decimal number, else ``None``.

    Integer ids written to CSV arrive as text; as numbers they are matched by direct index
    instead of by hashing text, with the same result (see :data:`_PLAIN_NUMBER`). The first
    rows are tried first, so text ids such as ``'2019/0123456A'`` cost one short look.

    Examples
    --------
    >>> _plain_numbers(pl.Series(["7", "0", "12"])).to_list()
    [7, 0, 12]
    >>> _plain_numbers(pl.Series(["7", "007"])) is None
    True

    """
    if ids.dtype != pl.String or ids.len() == 0 or ids.null_count():
        return None
    if not ids.head(1_000).str.contains(_PLAIN_NUMBER).all():
        return None
    if not ids.str.contains(_PLAIN_NUMBER).all():
        return None
    return ids.cast(pl.Int64)


def _dense_positions(people_ids: pl.Series, offence_ids: pl.Series) -> IntArray | None:
    """Each offence's row in the people table (-1 when absent), for small integer ids."""
    if not (people_ids.dtype.is_integer() and offence_ids.dtype.is_integer()):
        return None
    if people_ids.null_count() or offence_ids.null_count():
        return None
    if people_ids.len() == 0 or offence_ids.len() == 0 or people_ids.len() >= 2**31 - 1:
        return None
    person, offender = _values(people_ids), _values(offence_ids)
    low = min(int(person.min()), int(offender.min()))
    high = max(int(person.max()), int(offender.max()))
    if low < 0 or high >= 4 * (len(person) + len(offender)):
        return None
    lookup = np.full(high + 1, -1, dtype=np.int32)
    lookup[person] = np.arange(len(person), dtype=np.int32)
    if np.count_nonzero(lookup >= 0) < len(person):  # two people wrote to one entry
        _refuse_duplicates(people_ids)
    positions: IntArray = np.take(lookup, offender)
    return positions


def _equal(
    people_ids: pl.Series,
    person_rows: npt.NDArray[np.intp],
    offence_ids: pl.Series,
    offence_rows: npt.NDArray[np.intp] | None,
) -> npt.NDArray[np.bool_]:
    """Whether each offence id equals its candidate person's id (missing ids equal nothing)."""
    offences = offence_ids if offence_rows is None else offence_ids.gather(offence_rows)
    same = people_ids.gather(person_rows) == offences
    return _values(same.fill_null(False))


def _refuse_duplicates(ids: pl.Series) -> None:
    duplicated = ids.filter(ids.is_duplicated() & ids.is_not_null())
    if duplicated.len():
        raise FullvalueError.from_problems(
            "The people table has duplicate ids.",
            [Problem(f"person_id {duplicated[0]!r} appears more than once in people", "person_id")],
        )


def _slots(hashes: npt.NDArray[np.uint64], shift: int, bits: int) -> npt.NDArray[np.intp]:
    """The ``bits`` bits of each hash above bit ``shift``, as indices."""
    slots = hashes >> np.uint64(shift)
    if shift + bits < 64:
        slots &= np.uint64((1 << bits) - 1)
    return slots.view(np.intp)  # below 2**63: the same values


def _table_bits(people: int) -> int:
    return max(4, int(np.ceil(np.log2(SLOTS_PER_PERSON * max(people, 1)))))


@dataclass(frozen=True)
class _Level:
    """One hash table: ``table[slot]`` is an index into ``rows`` (-1 empty, -2 shared)."""

    shift: int
    bits: int
    table: IntArray
    rows: npt.NDArray[np.intp] | None  # the people rows of this level; None: all, in order
    hashes: npt.NDArray[np.uint64]


class HashIndex:
    """The people table's ids, arranged to look offences' ids up by their 64-bit hashes.

    Parameters
    ----------
    people_ids : polars.Series
        Distinct ids (a duplicate is refused), in one chunk (see ``Series.rechunk``).
    hashes : numpy.ndarray of uint64
        A hash of each id: equal ids must have equal hashes; distinct ids may share one.

    Notes
    -----
    A table of ``2^k >= 8 n`` slots for the ``n`` people is indexed by ``k`` bits of the hash;
    a slot holds the row of its only person, or is marked shared. The people of shared slots
    (about 12% of them) go to a table indexed by the next ``k'`` bits, and so on; the few left
    when the bits run out are matched by an exact join. An offence whose slot is empty has no
    person (equal ids have equal hashes, so share a slot); one whose slot holds a single person
    is that person's when their ids are equal, and nobody's otherwise (anyone else with that id
    would share the slot); one in a shared slot goes on to the next table. Every match is
    confirmed on the ids themselves, so the result is exact whatever the hashes: they decide only
    the work. Each table costs one gather of the offences' slots from an array of 4-byte rows,
    32 MB for a million people, where a general hash table keyed by text is several times that
    and compares text on every probe.

    Examples
    --------
    Every id hashed to 0 (one slot shared by all) still gives the exact answer:

    >>> index = HashIndex(pl.Series(["B", "A"]), np.zeros(2, np.uint64))
    >>> index.look_up(pl.Series(["A", "C", "B", "A"]), np.zeros(4, np.uint64)).tolist()
    [1, -1, 0, 1]

    """

    def __init__(self, people_ids: pl.Series, hashes: npt.NDArray[np.uint64]) -> None:
        self.ids = people_ids
        self.levels: list[_Level] = []
        rows: npt.NDArray[np.intp] | None = None
        shift = 64
        while len(hashes):
            bits = _table_bits(len(hashes))
            if bits > shift:
                break
            shift -= bits
            slots = _slots(hashes, shift, bits)
            own = np.arange(len(hashes), dtype=np.int32)
            table = np.full(1 << bits, -1, dtype=np.int32)
            table[slots] = own
            table[slots[table[slots] != own]] = -2
            self.levels.append(_Level(shift, bits, table, rows, hashes))
            shared = np.flatnonzero(table[slots] == -2)
            rows = shared if rows is None else rows[shared]
            hashes = hashes[shared]
        # People left in shared slots when the bits ran out, matched by an exact join; equal ids
        # always end here, so this is where duplicates are refused.
        self.rest = pl.DataFrame(
            {
                "person_id": people_ids if rows is None else people_ids.gather(rows),
                "row": np.arange(len(people_ids)) if rows is None else rows.astype(np.int64),
            }
        ).drop_nulls("person_id")
        _refuse_duplicates(self.rest.get_column("person_id"))

    def look_up(self, offence_ids: pl.Series, hashes: npt.NDArray[np.uint64]) -> IntArray:
        """Return each offence's row in the people table, or -1 (ids of the people's type)."""
        positions = np.full(len(offence_ids), -1, dtype=np.int32)
        where: npt.NDArray[np.intp] | None = None  # the offences still looked for; None: all
        for level in self.levels:
            if not len(hashes):
                break
            candidate = np.take(level.table, _slots(hashes, level.shift, level.bits))
            index = np.maximum(candidate, 0)
            rows = index if level.rows is None else level.rows[index]
            if where is None:
                # Every offence, most of them matches: compare the ids in place, with no need
                # to compare the hashes first or to gather the offences' ids.
                found = (candidate >= 0) & _equal(self.ids, rows, offence_ids, None)
                np.copyto(positions, rows, where=found, casting="unsafe")
            else:
                hit = np.flatnonzero((candidate >= 0) & (level.hashes[index] == hashes))
                same = _equal(self.ids, rows[hit], offence_ids, where[hit])
                positions[where[hit][same]] = rows[hit][same]
            shared = np.flatnonzero(candidate == -2)
            where = shared if where is None else where[shared]
            hashes = hashes[shared]
        if len(hashes) and self.rest.height:
            rest = np.arange(len(offence_ids)) if where is None else where.astype(np.int64)
            offences = pl.DataFrame(
                {
                    "person_id": offence_ids if where is None else offence_ids.gather(where),
                    "offence": rest,
                }
            )
            joined = offences.join(self.rest, on="person_id", how="inner")
            positions[_values(joined.get_column("offence"))] = _values(joined.get_column("row"))
        return positions


def hashed_positions(people_ids: pl.Series, offence_ids: pl.Series) -> IntArray:
    """Each offence's row in the people table (-1 when absent), by :class:`HashIndex`.

    Ids are of one type, the people's distinct. The offences are looked up in consecutive
    blocks, one per core, in threads: NumPy's gathers and Polars' comparisons release the
    interpreter lock, so the blocks run at once.

    Examples
    --------
    >>> hashed_positions(pl.Series(["B", "A"]), pl.Series(["A", "C", "B"])).tolist()
    [1, -1, 0]

    """
    people_ids = people_ids.rechunk()
    index = HashIndex(people_ids, _hash(people_ids))

    def look_up(start: int, stop: int) -> IntArray:
        block = offence_ids.slice(start, stop - start)
        return index.look_up(block, _hash(block))

    return np.concatenate(in_blocks(look_up, len(offence_ids)))


def _hash(ids: pl.Series) -> npt.NDArray[np.uint64]:
    return _values(ids.hash(_HASH_SEED)).astype(np.uint64, copy=False)


def person_positions(people_ids: pl.Series, offence_ids: pl.Series) -> IntArray:
    """Give each offence the row of its person in the people table, or -1 when absent.

    Parameters
    ----------
    people_ids : polars.Series
        The people table's ids (distinct once normalised; a duplicate is refused).
    offence_ids : polars.Series
        The offences table's ids.

    Returns
    -------
    numpy.ndarray of int32
        One row number per offence.

    Notes
    -----
    Ids are normalised and aligned as the module describes. Small non-negative integers are
    looked up by direct index; any other ids by :func:`hashed_positions`. Offence ids are
    compared as they are first; only those that match nobody are trimmed and tried again, so the
    usual extract, where they match, is not copied to be trimmed.

    Examples
    --------
    >>> people = pl.Series(["2019/0123456A", "A1", "007"])
    >>> offences = pl.Series(["A1", " 2019/0123456A", "a1", "7", "007", "B2"])
    >>> person_positions(people, offences).tolist()
    [1, 0, -1, -1, 2, -1]

    """
    people_ids, offence_ids = aligned_ids(normalise_ids(people_ids), offence_ids)
    if isinstance(offence_ids.dtype, pl.Categorical | pl.Enum):
        offence_ids = offence_ids.cast(pl.String)
    if people_ids.dtype == pl.String and offence_ids.dtype == pl.String:
        people_numbers = _plain_numbers(people_ids)
        offence_numbers = _plain_numbers(offence_ids) if people_numbers is not None else None
        if people_numbers is not None and offence_numbers is not None:
            try:
                dense = _dense_positions(people_numbers, offence_numbers)
                if dense is not None:
                    return dense
                return hashed_positions(people_numbers, offence_numbers)
            except FullvalueError:
                _refuse_duplicates(people_ids)  # naming the id as the text it was given as
                raise
    dense = _dense_positions(people_ids, offence_ids)
    if dense is not None:
        return dense
    positions = hashed_positions(people_ids, offence_ids)
    if offence_ids.dtype == pl.String:
        unmatched = np.flatnonzero(positions < 0)
        if len(unmatched):
            raw = offence_ids.gather(unmatched)
            trimmed = normalise_ids(raw)
            changed = _values((trimmed != raw).fill_null(False))
            if changed.any():
                again = trimmed.filter(pl.Series(changed))
                positions[unmatched[changed]] = hashed_positions(people_ids, again)
    return positions
