"""Market insight: who wins the money, from OCDS release and record packages.

Reads packages streaming (:mod:`~fullvalue.engine.market.io`), compiles each contracting process
with the OCDS merge rules, and measures the voluntary sector's and small organisations' shares of
awarded value and the market's concentration (:mod:`~fullvalue.engine.market.summary`). Pure
Python; no Django. See ``docs/market.md``.
"""
