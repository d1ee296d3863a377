import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fullvalue.engine.measure.matching import match_nearest

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
