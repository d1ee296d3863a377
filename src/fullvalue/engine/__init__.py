"""The Fullvalue engine: pure Python numbers for outcome-based commissioning.

Nothing under ``fullvalue.engine`` imports Django (a test enforces it). Sub-packages:

- ``measure``: proven-reoffending measures, case-mix adjusted baselines, matched comparison groups;
- ``payments``: payment mechanisms as data, settlement, supply-chain allocation, risk simulation,
  power and SROI.
"""
