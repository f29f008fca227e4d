"""Prefect flows and the ``fiu`` command line: thin wrappers over :mod:`fiu_analytics`.

This is the only package that imports Prefect.
"""
