"""Nearest-neighbour matching on a one-dimensional score (the logit of the propensity score).

The pool is sorted once; each treated person's neighbours are found by binary search
(``np.searchsorted``) and by walking outwards from the insertion point, so matching ``n`` treated
against a pool of ``N`` costs ``O(N log N + n log N + n k)`` with no ``n x N`` distance matrix.

Order and ties are fixed so that the same data always give the same matches. Candidates are
ranked by distance, then by the lower score, then by *tie rank* (by default the pool row's
original position, so the earlier row wins; a seeded random permutation when the caller asks).
Without replacement, treated people are matched greedily from the highest score down (ties by
tie rank), one comparison each in a first pass, then a second comparison each in a second pass,
and so on to ``ratio`` passes: the order MatchIt calls "largest".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Matches:
    """Matched pairs, one per row of the three arrays.

    ``treated[i]`` (index into the treated scores) was matched to ``control[i]`` (index into
    the pool scores) at ``distance[i]`` (absolute score difference). Pairs are ordered by
    treated index, then by nearness.
    """

    treated: IntArray
    control: IntArray
    distance: FloatArray


@dataclass(frozen=True)
class _Groups:
    order: IntArray  # pool positions in sorted order
    value: FloatArray  # distinct sorted scores
    start: IntArray  # first sorted position of each distinct score
    size: IntArray  # how many pool members share it


def sort_order(scores: npt.ArrayLike, tie_rank: npt.ArrayLike | None = None) -> IntArray:
    """Return the positions of ``scores`` sorted by score, then by tie rank (default row order).

    Notes
    -----
    The order by the pair ``(score, tie rank)`` is unique, so it never depends on how a sorting
    algorithm treats equal keys. It is found with NumPy's default (unstable, vectorised) sort on
    the score alone, several times faster than a stable sort, after which only the runs of equal
    scores are put in tie-rank order.

    References
    ----------
    NumPy, ``numpy.argsort`` and ``numpy.lexsort``.

    Examples
    --------
    >>> sort_order([2.0, 1.0, 2.0]).tolist()
    [1, 0, 2]
    >>> sort_order([2.0, 1.0, 2.0], tie_rank=[5, 0, 3]).tolist()
    [1, 2, 0]

    """
    values = np.asarray(scores, dtype=np.float64)
    rank = (
        np.arange(len(values), dtype=np.int64)
        if tie_rank is None
        else np.asarray(tie_rank, dtype=np.int64)
    )
    order = np.argsort(values).astype(np.int64)
    ordered = values[order]
    equal = ordered[1:] == ordered[:-1]
    if not equal.any():
        return order
    # Positions inside a run of equal scores, each labelled by its run, re-sorted by (run, rank).
    tied = np.zeros(len(values), dtype=bool)
    tied[1:] |= equal
    tied[:-1] |= equal
    positions = np.flatnonzero(tied)
    run = np.cumsum(np.concatenate([[True], ~equal]))[positions]
    members = order[positions]
    order[positions] = members[np.lexsort((rank[members], run))]
    return order


def _groups(pool: FloatArray, order: IntArray) -> _Groups:
    ordered = pool[order]
    first = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    size = np.diff(np.append(first, len(ordered)))
    return _Groups(order, ordered[first], first.astype(np.int64), size.astype(np.int64))


def _with_replacement(
    scores: FloatArray, groups: _Groups, caliper: float, ratio: int
) -> tuple[list[IntArray], list[IntArray], list[FloatArray]]:
    count = len(groups.value)
    right = np.searchsorted(groups.value, scores, side="left").astype(np.int64)
    left = right - 1
    used_left = np.zeros(len(scores), dtype=np.int64)
    used_right = np.zeros(len(scores), dtype=np.int64)
    active = np.ones(len(scores), dtype=bool)
    rows: list[IntArray] = []
    pool_rows: list[IntArray] = []
    distances: list[FloatArray] = []
    for _ in range(ratio):
        has_left = left >= 0
        has_right = right < count
        left_gap = np.where(has_left, scores - groups.value[np.clip(left, 0, None)], np.inf)
        right_gap = np.where(
            has_right, groups.value[np.clip(right, None, count - 1)] - scores, np.inf
        )
        take_left = left_gap <= right_gap
        gap = np.where(take_left, left_gap, right_gap)
        active &= gap <= caliper
        group = np.where(take_left, left, right)
        position = (
            np.where(take_left, used_left, used_right) + groups.start[np.clip(group, 0, None)]
        )
        chosen = np.flatnonzero(active)
        rows.append(chosen)
        pool_rows.append(groups.order[position[chosen]])
        distances.append(gap[chosen])
        used_left = np.where(active & take_left, used_left + 1, used_left)
        used_right = np.where(active & ~take_left, used_right + 1, used_right)
        safe_left = np.clip(left, 0, None)
        safe_right = np.clip(right, None, count - 1)
        left_done = has_left & (used_left >= groups.size[safe_left])
        right_done = has_right & (used_right >= groups.size[safe_right])
        left = np.where(left_done, left - 1, left)
        used_left = np.where(left_done, 0, used_left)
        right = np.where(right_done, right + 1, right)
        used_right = np.where(right_done, 0, used_right)
    return rows, pool_rows, distances


def _find(parent: list[int], node: int) -> int:
    while parent[node] != node:
        parent[node] = parent[parent[node]]
        node = parent[node]
    return node


def _without_replacement(
    scores: FloatArray, tie_rank: IntArray, groups: _Groups, caliper: float, ratio: int
) -> tuple[list[IntArray], list[IntArray], list[FloatArray]]:
    count = len(groups.value)
    values = groups.value.tolist()
    starts = groups.start.tolist()
    sizes = groups.size.tolist()
    order = groups.order
    taken = [0] * count
    # next_right[g]: first group >= g with members left (count = none); next_left[g + 1]: last
    # group <= g with members left, shifted by one so that 0 means none.
    next_right = list(range(count + 1))
    next_left = list(range(count + 1))
    insertion = np.searchsorted(groups.value, scores, side="left").tolist()
    sequence = np.lexsort((tie_rank, -scores)).tolist()
    score_list = scores.tolist()
    active = [True] * len(scores)
    rows: list[IntArray] = []
    pool_rows: list[IntArray] = []
    distances: list[FloatArray] = []
    for _ in range(ratio):
        pass_rows: list[int] = []
        pass_pool: list[int] = []
        pass_gap: list[float] = []
        for row in sequence:
            if not active[row]:
                continue
            score = score_list[row]
            right = _find(next_right, insertion[row])
            left = _find(next_left, insertion[row]) - 1
            left_gap = score - values[left] if left >= 0 else np.inf
            right_gap = values[right] - score if right < count else np.inf
            group, gap = (left, left_gap) if left_gap <= right_gap else (right, right_gap)
            if not gap <= caliper:
                active[row] = False
                continue
            pass_rows.append(row)
            pass_pool.append(starts[group] + taken[group])
            pass_gap.append(gap)
            taken[group] += 1
            if taken[group] == sizes[group]:
                next_right[group] = group + 1
                next_left[group + 1] = group
        active = [False] * len(scores)
        for row in pass_rows:
            active[row] = True
        rows.append(np.asarray(pass_rows, dtype=np.int64))
        pool_rows.append(order[np.asarray(pass_pool, dtype=np.int64)])
        distances.append(np.asarray(pass_gap, dtype=np.float64))
    return rows, pool_rows, distances


def match_nearest(
    treated: npt.ArrayLike,
    pool: npt.ArrayLike,
    *,
    caliper: float,
    ratio: int = 1,
    replacement: bool = True,
    treated_rank: npt.ArrayLike | None = None,
    pool_rank: npt.ArrayLike | None = None,
    pool_order: npt.ArrayLike | None = None,
) -> Matches:
    """Match each treated score to its ``ratio`` nearest pool scores within a caliper.

    Parameters
    ----------
    treated : array of float
        Scores of the treated people (the logit of the propensity score).
    pool : array of float
        Scores of the comparison pool.
    caliper : float
        Largest allowed absolute score difference, in score units (not standard deviations).
    ratio : int
        Comparisons wanted per treated person (1:k matching).
    replacement : bool
        Whether a pool member may be matched to more than one treated person.
    treated_rank, pool_rank : array of int, optional
        Tie ranks; default the original positions (the earlier row wins a tie).
    pool_order : array of int, optional
        ``sort_order(pool, pool_rank)`` when the caller already has it (saves a sort).

    Returns
    -------
    Matches
        The pairs found. A treated person with no pool member within the caliper has none (off
        support); one may have fewer than ``ratio``.

    Notes
    -----
    For treated score ``t`` and the sorted pool ``s``, ``j = searchsorted(s, t)``; the nearest
    neighbours are found by merging the runs ``s[j-1], s[j-2], ...`` and ``s[j], s[j+1], ...``
    by distance ``|t - s|``, taking the lower score on a tie in distance and the lower tie rank
    among equal scores, and stopping at the caliper.

    References
    ----------
    Austin P. C. (2011), "Optimal caliper widths for propensity-score matching when estimating
    differences in means and differences in proportions in observational studies",
    *Pharmaceutical Statistics* 10(2), 150-161. Ho D., Imai K., King G. and Stuart E. (2011),
    "MatchIt: nonparametric preprocessing for parametric causal inference", *Journal of
    Statistical Software* 42(8) (greedy order "largest").

    Examples
    --------
    Pool 0.0, 1.0, 1.0, 5.0 (rows 0-3). Treated 0.9 takes a 1.0, and of the tied rows 1 and 2
    the earlier, row 1; treated 0.6 is 0.4 from 1.0 and 0.6 from 0.0, so with replacement it also
    takes row 1; treated 4.0 is 1.0 from 5.0, outside a caliper of 0.5 (off support).

    >>> m = match_nearest([0.9, 0.6, 4.0], [0.0, 1.0, 1.0, 5.0], caliper=0.5)
    >>> m.treated.tolist(), m.control.tolist()
    ([0, 1], [1, 1])

    Without replacement the higher score 0.9 goes first and takes row 1; 0.6 gets row 2.

    >>> m = match_nearest([0.9, 0.6], [0.0, 1.0, 1.0, 5.0], caliper=0.5, replacement=False)
    >>> m.treated.tolist(), m.control.tolist()
    ([0, 1], [1, 2])

    """
    scores = np.asarray(treated, dtype=np.float64)
    pool_scores = np.asarray(pool, dtype=np.float64)
    t_rank = np.arange(len(scores)) if treated_rank is None else np.asarray(treated_rank, np.int64)
    p_rank = np.arange(len(pool_scores)) if pool_rank is None else np.asarray(pool_rank, np.int64)
    if len(scores) == 0 or len(pool_scores) == 0:
        none = np.empty(0, dtype=np.int64)
        return Matches(treated=none, control=none, distance=np.empty(0))
    order = sort_order(pool_scores, p_rank) if pool_order is None else np.asarray(pool_order)
    groups = _groups(pool_scores, order.astype(np.int64))
    if replacement:
        rows, pool_rows, gaps = _with_replacement(scores, groups, caliper, ratio)
    else:
        rows, pool_rows, gaps = _without_replacement(scores, t_rank, groups, caliper, ratio)
    treated_idx = np.concatenate(rows)
    control_idx = np.concatenate(pool_rows)
    distance = np.concatenate(gaps)
    step = np.concatenate([np.full(len(r), k) for k, r in enumerate(rows)])
    arrange = np.lexsort((step, treated_idx))
    return Matches(
        treated=treated_idx[arrange].astype(np.int64),
        control=control_idx[arrange].astype(np.int64),
        distance=distance[arrange],
    )
