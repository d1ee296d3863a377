"""Report once: every funder's return produced from one set of outcome records.

A provider records each participant's progress once, against the shared vocabulary
(:mod:`~fullvalue.engine.returns.vocabulary`); each funder's framework
(:mod:`~fullvalue.engine.returns.framework`) says which figures it wants over which periods; and
:func:`~fullvalue.engine.returns.compute.compute_returns` produces every return from the records.
Pure Python on Polars; no Django. See ``docs/report-once.md``.
"""
