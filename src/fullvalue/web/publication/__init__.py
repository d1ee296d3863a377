"""Open data: OCDS releases and records (later 360Giving and INDIGO), built from selectors only.

It sits on top of the capabilities like the site layer: it may read any capability's selectors;
no capability imports it.
"""
