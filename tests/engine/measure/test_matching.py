import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fullvalue.engine.measure.matching import match_nearest, sort_order

# Scores on a coarse grid so that exact ties (common with categorical covariates) happen often.
scores = st.lists(st.integers(-20, 20).map(lambda v: v / 4), min_size=1, max_size=30)


def brute_force(treated, pool, caliper, ratio):
    """Rank every pool member by (distance, score, row) and keep the first `ratio` in caliper."""
    pool = np.asarray(pool)
    out = []
    for i, t in enumerate(treated):
        distance = np.abs(pool - t)
        ranked = np.lexsort((np.arange(len(pool)), pool, distance))
        out += [(i, int(j)) for j in ranked[:ratio] if distance[j] <= caliper]
    return out


@settings(max_examples=200, deadline=None)
@given(scores, scores, st.sampled_from([0.0, 0.25, 1.0, 100.0]), st.integers(1, 4))
def test_with_replacement_equals_brute_force(treated, pool, caliper, ratio):
    m = match_nearest(treated, pool, caliper=caliper, ratio=ratio)
    assert list(zip(m.treated.tolist(), m.control.tolist(), strict=True)) == brute_force(
        treated, pool, caliper, ratio
    )
    np.testing.assert_array_equal(
        m.distance, np.abs(np.asarray(treated)[m.treated] - np.asarray(pool)[m.control])
    )


def greedy_reference(treated, pool, caliper, ratio):
    """The documented greedy order, written the slow obvious way."""
    pool = np.asarray(pool)
    available = np.ones(len(pool), dtype=bool)
    order = sorted(range(len(treated)), key=lambda i: (-treated[i], i))
    active = set(range(len(treated)))
    pairs = []
    for _ in range(ratio):
        matched = set()
        for i in order:
            if i not in active:
                continue
            candidates = [j for j in range(len(pool)) if available[j]]
            if not candidates:
                continue
            j = min(candidates, key=lambda j: (abs(pool[j] - treated[i]), pool[j], j))
            if abs(pool[j] - treated[i]) <= caliper:
                available[j] = False
                pairs.append((i, j))
                matched.add(i)
        active = matched
    return sorted(pairs, key=lambda p: p[0])  # stable: keeps pass order within a treated person


@settings(max_examples=200, deadline=None)
@given(scores, scores, st.sampled_from([0.0, 0.25, 1.0, 100.0]), st.integers(1, 3))
def test_without_replacement_equals_the_documented_greedy_order(treated, pool, caliper, ratio):
    m = match_nearest(treated, pool, caliper=caliper, ratio=ratio, replacement=False)
    pairs = list(zip(m.treated.tolist(), m.control.tolist(), strict=True))
    assert pairs == greedy_reference(treated, pool, caliper, ratio)
    assert len(set(m.control.tolist())) == len(m.control)


def test_off_support_treated_get_no_match():
    """Treated 10.0 is 5 from the nearest pool score, beyond a caliper of 1."""
    m = match_nearest([0.0, 10.0], [0.5, 5.0], caliper=1.0)
    assert m.treated.tolist() == [0]


def test_tie_ranks_change_which_tied_row_wins():
    m = match_nearest([1.0], [1.0, 1.0, 1.0], caliper=0.1, pool_rank=[2, 0, 1])
    assert m.control.tolist() == [1]


def test_empty_pool():
    m = match_nearest([1.0, 2.0], [], caliper=1.0)
    assert len(m.treated) == 0


@pytest.mark.parametrize("replacement", [True, False])
def test_large_inputs_are_matched_without_a_distance_matrix(replacement):
    rng = np.random.default_rng(0)
    m = match_nearest(
        rng.normal(size=5000),
        rng.normal(size=200_000),
        caliper=0.01,
        ratio=2,
        replacement=replacement,
    )
    assert len(m.treated) > 9000
    assert m.distance.max() <= 0.01


# Any finite or infinite scores, including both zeros, and runs of scores a few units in the last
# place apart (which share their leading bits in the packed sort keys).
any_scores = st.lists(
    st.one_of(
        st.floats(allow_nan=False),
        st.sampled_from([0.0, -0.0, 5e-324, -5e-324]),
        st.integers(0, 40).map(lambda k: 1.0 + k * np.finfo(float).eps),
    ),
    min_size=0,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(any_scores, st.randoms(use_true_random=False))
def test_sort_order_is_score_then_tie_rank(values, random):
    """The packed-key sort gives exactly the (score, tie rank) order of a lexicographic sort."""
    scores = np.array(values, dtype=np.float64)
    rank = np.array(random.sample(range(len(values)), len(values)), dtype=np.int64)
    np.testing.assert_array_equal(sort_order(scores, rank), np.lexsort((rank, scores)))
    np.testing.assert_array_equal(sort_order(scores), np.lexsort((np.arange(len(values)), scores)))


def test_sort_order_of_a_million_scores_with_near_ties():
    """With 2^20 rows the keys keep 32 bits of mantissa: scores 1 ulp apart share a key."""
    rng = np.random.default_rng(4)
    scores = np.concatenate(
        [rng.normal(size=700_000), 1.0 + rng.integers(0, 5_000, 348_576) * np.finfo(float).eps]
    )
    rank = rng.permutation(len(scores))
    np.testing.assert_array_equal(sort_order(scores, rank), np.lexsort((rank, scores)))
