"""Fullvalue: outcome-based commissioning of rehabilitation services.

``fullvalue.engine`` is pure Python (no Django) and holds the numbers: proven-reoffending
measures, matched comparison groups, payment-by-results settlement, risk simulation and SROI.
``fullvalue.web`` is the Django service built on top of it.
"""

__version__ = "0.1.0"
