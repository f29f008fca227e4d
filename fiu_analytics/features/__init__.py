"""Columnar graph features of transactions (edges) and accounts, with no look-ahead.

Public face:

* :class:`EdgeFeatures` — per-transaction graph and profile features (a transformer).
* :func:`account_features` — per-account features as of a cutoff (a pure function), and
  :class:`AccountFeatures`, the same as a transformer over (account_key, as_of) subjects.
* ``FEATURE_VERSION`` — bumped whenever a feature's definition changes; models record it.

Every feature of a row (or of an account as of ``t``) is computed only from transactions with
``timestamp <= t``. See docs/features.md.
"""

from fiu_analytics.features.accounts import (
    AccountFeatures,
    account_feature_names,
    account_features,
)
from fiu_analytics.features.edges import EdgeFeatures, edge_feature_names

FEATURE_VERSION = "1.2.0"

__all__ = [
    "FEATURE_VERSION",
    "AccountFeatures",
    "EdgeFeatures",
    "account_feature_names",
    "account_features",
    "edge_feature_names",
]
