"""Run work over a long array in consecutive blocks, one per core, in threads.

NumPy's gathers and arithmetic and Polars' operations release Python's interpreter lock, so the
blocks of work on a few million offences run at the same time on as many cores as Polars uses
(``polars.thread_pool_size()``, which ``POLARS_MAX_THREADS`` sets). Small inputs are done in
one block on the calling thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import polars as pl

T = TypeVar("T")
#: Below this many rows a block is not worth a thread.
MIN_BLOCK = 500_000


def block_bounds(length: int, blocks: int) -> list[tuple[int, int]]:
    """Split ``range(length)`` into ``blocks`` consecutive (start, stop) pairs of near-equal size.

    Examples
    --------
    >>> block_bounds(10, 3)
    [(0, 4), (4, 7), (7, 10)]
    >>> block_bounds(0, 2)
    [(0, 0)]

    """
    blocks = max(1, min(blocks, length))
    size, extra = divmod(length, blocks)
    bounds, start = [], 0
    for i in range(blocks):
        stop = start + size + (1 if i < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def in_blocks(work: Callable[[int, int], T], length: int) -> list[T]:
    """Return ``[work(start, stop), ...]`` over consecutive blocks covering ``range(length)``.

    Examples
    --------
    >>> in_blocks(lambda start, stop: stop - start, 7)
    [7]

    """
    blocks = min(pl.thread_pool_size(), length // MIN_BLOCK)
    bounds = block_bounds(length, blocks)
    if len(bounds) == 1:
        return [work(*bounds[0])]
    with ThreadPoolExecutor(max_workers=len(bounds)) as pool:
        return list(pool.map(lambda bound: work(*bound), bounds))
