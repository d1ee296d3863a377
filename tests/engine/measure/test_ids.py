"""Person ids: normalisation, matching by hash tables, and the definition on look-alike ids."""

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fullvalue.engine.measure import blocks
from fullvalue.engine.measure.dates import add_months
from fullvalue.engine.measure.ids import (
    HashIndex,
    duplicate_positions,
    normalise_ids,
    person_positions,
)
from fullvalue.engine.measure.io import read_offences, read_people
from fullvalue.engine.measure.reoffending import EXCLUSION_REASONS, person_outcomes
from fullvalue.errors import FullvalueError

D = dt.date

# Ids that look alike: case, leading zeros, spaces around them, PNC-style and pseudonym-style.
LOOK_ALIKE = [
    "A1",
    "a1",
    " A1",
    "A1 ",
    "  a1\t",
    "7",
    "07",
    "007",
    " 7",
    "2019/0123456A",
    "2019/0123456a",
    "2019/123456A",
    " 2019/0123456A ",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
]


def same_person(left: str, right: str) -> bool:
    """The documented rule, read plainly: equal once the spaces around them are removed."""
    return left.strip() == right.strip() and left.strip() != ""


# --- the rule, on examples ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "offence", "same"),
    [
        ("A1", "A1", True),
        ("A1", "a1", False),  # case matters: pseudonyms and references are case-sensitive
        ("A1", " A1 ", True),  # spaces around an id are not part of it
        (" A1", "A1", True),
        ("007", "7", False),  # leading zeros matter (PNC serial numbers have them)
        ("007", " 007", True),
        ("2019/0123456A", "2019/0123456A\t", True),
        ("2019/0123456A", "2019/123456A", False),
    ],
)
def test_the_id_rule(person, offence, same):
    found = person_positions(pl.Series([person, "other"]), pl.Series([offence]))
    assert bool(found[0] == 0) is same


def test_integers_meet_text_by_their_decimal_form():
    """Parquet people ids 7 and 12 against CSV offence ids: '7' and ' 12' match, '007' does not."""
    found = person_positions(pl.Series([7, 12]), pl.Series(["7", "007", " 12", "12.0"]))
    assert found.tolist() == [0, -1, 1, -1]


def test_normalise_ids_trims_and_makes_blank_ids_missing():
    ids = pl.Series([" A1 ", "\ta1", "", "   ", None, "007"])
    assert normalise_ids(ids).to_list() == ["A1", "a1", None, None, None, "007"]


def test_categorical_ids_are_read_as_text():
    people = pl.Series(["A1", "B2"], dtype=pl.Categorical)
    assert person_positions(people, pl.Series(["B2", "a1"])).tolist() == [1, -1]


def test_duplicates_once_trimmed_are_refused(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("person_id,index_date\nA1,2019-01-01\na1,2019-01-01\n A1 ,2019-02-01\n")
    with pytest.raises(FullvalueError) as caught:
        read_people(path)
    (problem,) = caught.value.problems
    assert problem.location == "people.csv rows 2, 4, column person_id"
    assert "'A1' appears more than once" in problem.reason


def test_blank_people_ids_are_missing(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text('person_id,index_date\nA1,2019-01-01\n"  ",2019-01-01\n')
    with pytest.raises(FullvalueError) as caught:
        read_people(path)
    assert [(p.row, p.reason) for p in caught.value.problems] == [(3, "person_id is missing")]


@pytest.mark.parametrize("people", [["A1", "B2", "A1"], [3, 1, 3]])
def test_matching_refuses_duplicate_people(people):
    """Called without read_people's checks, the matching itself refuses duplicates."""
    with pytest.raises(FullvalueError, match="appears more than once"):
        person_positions(pl.Series(people), pl.Series(people[:1]))


def test_duplicate_positions_by_hash_then_by_value():
    assert duplicate_positions(pl.Series(["x", "y", "z"])) == []
    assert duplicate_positions(pl.Series(["x", "y", "x", None, None])) == [0, 2]
    assert duplicate_positions(pl.Series([10**12, 5, 10**12])) == [0, 2]


# --- the hash tables, whatever the hashes -------------------------------------------------------


def plain_positions(people: list, offences: list) -> list[int]:
    where = {p: i for i, p in enumerate(people) if p is not None}
    return [where.get(o, -1) if o is not None else -1 for o in offences]


id_text = st.text(alphabet="Aa01/ ", min_size=0, max_size=4)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(id_text, max_size=40, unique=True),
    st.lists(id_text, max_size=60),
    st.integers(0, 3),
    st.data(),
)
def test_hash_index_is_exact_whatever_the_hashes(people, offences, modulus_bits, data):
    """Hashes reduced to a few bits (many equal hashes for different ids) change nothing.

    With ``modulus_bits`` 0 every id hashes alike, so every slot is shared and the exact join
    at the end does all the work; with 1-3 bits some ids meet an unrelated person in their slot
    and must be told apart by comparing the ids themselves.
    """
    pool = people + offences
    hashes = {v: data.draw(st.integers(0, 2**modulus_bits - 1)) for v in pool}
    to_hash = lambda values: np.array(  # noqa: E731
        [hashes[v] << 60 | hashes[v] for v in values], dtype=np.uint64
    )
    index = HashIndex(pl.Series(people, dtype=pl.String).rechunk(), to_hash(people))
    found = index.look_up(pl.Series(offences, dtype=pl.String), to_hash(offences))
    assert found.tolist() == plain_positions(people, offences)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(LOOK_ALIKE), unique_by=str.strip, max_size=len(LOOK_ALIKE)),
    st.lists(st.sampled_from([*LOOK_ALIKE, "B", "  ", "x y"]), max_size=40),
)
def test_person_positions_follow_the_rule(people, offences):
    found = person_positions(pl.Series(people, dtype=pl.String), pl.Series(offences))
    expected = [next((i for i, p in enumerate(people) if same_person(p, o)), -1) for o in offences]
    assert found.tolist() == expected


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 120), unique=True, min_size=1, max_size=30),
    st.lists(
        st.tuples(
            st.integers(0, 130),
            st.sampled_from(["{}", " {}", "{} ", "0{}", "00{}", "{}.0", "+{}", "{}\t"]),
        ),
        max_size=40,
    ),
)
def test_integer_people_against_look_alike_text_offences(people, offences):
    """Integer ids (Parquet) meet text ids (CSV) by their decimal text, trimmed, zeros kept."""
    texts = [form.format(n) for n, form in offences]
    found = person_positions(pl.Series(people), pl.Series(texts, dtype=pl.String))
    expected = [next((i for i, p in enumerate(people) if str(p) == t.strip()), -1) for t in texts]
    assert found.tolist() == expected


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(0, 10**18 - 1) | st.integers(0, 60), unique=True, min_size=1, max_size=30),
    st.lists(st.integers(0, 70), max_size=40),
    st.sampled_from(["", "007", " 7", "7.0", "-1", "1" * 19, "A1"]),
    st.booleans(),
)
def test_integer_ids_written_as_text(numbers, picks, odd_one, odd_in_people):
    """CSV integer ids (text) are matched as numbers only when that gives the text rule's answer.

    Plain decimal texts are matched as numbers; one look-alike anywhere (leading zeros, spaces,
    a sign, a decimal point, 19 digits, a letter) and the ids are matched as text, as before.
    """
    people = [str(n) for n in numbers]
    offences = [people[i % len(people)] if i < 50 else str(i) for i in picks]
    if odd_one and odd_in_people and odd_one.strip() not in people:
        people.append(odd_one)
    elif odd_one:
        offences.append(odd_one)
    found = person_positions(pl.Series(people), pl.Series(offences, dtype=pl.String))
    expected = [next((i for i, p in enumerate(people) if same_person(p, o)), -1) for o in offences]
    assert found.tolist() == expected


def test_plain_number_text_duplicates_are_named_as_text():
    with pytest.raises(FullvalueError, match="person_id '7' appears more than once"):
        person_positions(pl.Series(["7", "1", "7"]), pl.Series(["7"]))
    with pytest.raises(FullvalueError, match="appears more than once"):
        person_positions(pl.Series(["123456789012", "5", "123456789012"]), pl.Series(["5"]))


def test_many_people_through_every_table():
    """A million-scale shape in miniature: tables at several levels, ids only in one file."""
    rng = np.random.default_rng(3)
    people = [f"{y}/{s:07d}{c}" for y, s, c in zip(
        rng.integers(1990, 2020, 60_000), rng.choice(10**7, 60_000, replace=False),
        rng.choice(list("ABCDEFGH"), 60_000), strict=True)]  # fmt: skip
    outsiders = [f"X{i}" for i in range(2_000)]
    offences = list(rng.choice(people + outsiders, 200_000))
    found = person_positions(pl.Series(people), pl.Series(offences))
    assert found.tolist() == plain_positions(people, offences)


def test_blocks_in_threads_give_the_same_positions(monkeypatch):
    rng = np.random.default_rng(4)
    people = [f"P{i:05d}" for i in rng.permutation(5_000)]
    offences = [f" P{i:05d}" if i % 7 == 0 else f"P{i:05d}" for i in rng.integers(0, 6_000, 30_000)]
    one_block = person_positions(pl.Series(people), pl.Series(offences))
    monkeypatch.setattr(blocks, "MIN_BLOCK", 1_000)
    monkeypatch.setattr(pl, "thread_pool_size", lambda: 4)
    assert blocks.block_bounds(30_000, 4)[-1] == (22_500, 30_000)
    in_four = person_positions(pl.Series(people), pl.Series(offences))
    assert in_four.tolist() == one_block.tolist()
    assert (one_block >= 0).sum() == sum(1 for o in offences if o.strip() in set(people))


# --- the definition on look-alike text ids, against a plain-Python reading ----------------------

dates = st.dates(min_value=D(2017, 1, 1), max_value=D(2021, 12, 31))


@st.composite
def look_alike_tables(draw):
    """People with distinct (once trimmed) look-alike ids; offences by any of the look-alikes."""
    people_ids = draw(
        st.lists(st.sampled_from(LOOK_ALIKE), unique_by=str.strip, min_size=1, max_size=8)
    )
    index = [draw(dates) for _ in people_ids]
    rows = []
    for _ in range(draw(st.integers(0, 25))):
        person = draw(st.sampled_from([*LOOK_ALIKE, "OUTSIDER"]))
        offence = draw(dates)
        disposal = offence + dt.timedelta(days=draw(st.integers(0, 400)))
        rows.append((person, offence, disposal, draw(st.booleans())))
    people = pl.DataFrame(
        {"person_id": people_ids, "index_date": index},
        schema={"person_id": pl.String, "index_date": pl.Date},
    )
    offences = pl.DataFrame(
        rows,
        schema={
            "person_id": pl.String,
            "offence_date": pl.Date,
            "disposal_date": pl.Date,
            "breach": pl.Boolean,
        },
        orient="row",
    )
    return people, offences


def reference(people: pl.DataFrame, offences: pl.DataFrame, as_of: dt.date):
    """Plain Python, one offence at a time: the definition and the exclusion reasons."""
    persons = people.rows()
    outcomes = {}
    excluded = dict.fromkeys(EXCLUSION_REASONS, 0)
    for pid, index in persons:
        end = add_months(index, 12)
        wait = add_months(end, 6)
        outcomes[pid] = {"complete": wait <= as_of, "hits": []}
    for oid, offence, disposal, breach in offences.rows():
        match = [(pid, index) for pid, index in persons if same_person(pid, oid)]
        if not match:
            excluded["not_in_cohort"] += 1
            continue
        ((pid, index),) = match
        end = add_months(index, 12)
        wait = add_months(end, 6)
        if wait > as_of:
            excluded["incomplete_follow_up"] += 1
        elif breach:
            excluded["breach"] += 1
        elif offence <= index:
            excluded["on_or_before_index_date"] += 1
        elif offence > end:
            excluded["after_follow_up"] += 1
        elif disposal > wait:
            excluded["disposal_after_waiting_period"] += 1
        else:
            outcomes[pid]["hits"].append((offence - index).days)
    people_out = {
        pid: (o["complete"], len(o["hits"]), min(o["hits"]) if o["hits"] else None)
        for pid, o in outcomes.items()
    }
    return people_out, excluded


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(look_alike_tables(), dates)
def test_text_ids_agree_with_a_plain_python_reading_of_the_definition(data, as_of):
    people, offences = data
    outcomes, excluded, _ = person_outcomes(people, offences, as_of=as_of)
    got = {
        pid: (complete, n, days)
        for pid, complete, n, days in outcomes.select(
            "person_id", "complete", "reoffences", "days_to_first"
        ).iter_rows()
    }
    expected_people, expected_excluded = reference(people, offences, as_of)
    assert got == expected_people
    counted = excluded.pop("_counted")
    assert excluded == expected_excluded
    assert counted == sum(n for _, n, _ in expected_people.values())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(look_alike_tables(), dates)
def test_the_same_through_csv_files(tmp_path_factory, data, as_of):
    """Written to CSV and read back (ids as text, spaces kept in the file), the same answer."""
    people, offences = data
    assume(offences.height > 0)  # a file with no rows is refused, rightly
    folder = tmp_path_factory.mktemp("csv")
    people.write_csv(folder / "people.csv")
    offences.write_csv(folder / "offences.csv")
    read_p = read_people(folder / "people.csv").frame
    read_o = read_offences(folder / "offences.csv").frame
    outcomes, excluded, _ = person_outcomes(read_p, read_o, as_of=as_of)
    expected_people, expected_excluded = reference(people, offences, as_of)
    got = {
        pid: (complete, n, days)
        for pid, complete, n, days in outcomes.select(
            "person_id", "complete", "reoffences", "days_to_first"
        ).iter_rows()
    }
    assert got == {pid.strip(): v for pid, v in expected_people.items()}
    excluded.pop("_counted")
    assert excluded == expected_excluded
