"""The site layer: pages assembled from capabilities' panels, URL and API assembly, errors.

It may use any capability's selectors, services and panels; nothing below imports it.
"""
