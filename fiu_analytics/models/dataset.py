"""Training and scoring tables for account models: features as of a cutoff, and labels.

Labels come from the labels table (generator ground truth, research-format labels, or analyst
feedback): an account is positive when it is a core account of any scenario (or of the given
label typologies). Features come from :func:`fiu_analytics.features.account_features`, computed
only from transactions up to the cutoff, with exposure to designated parties taken from the
SAN-01 screening of the same data.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from fiu_analytics.features import account_features
from fiu_analytics.indicators.base import DetectionInput
from fiu_analytics.indicators.nexus import _fired


def designated_accounts(data: DetectionInput) -> set[int]:
    """Accounts whose owner the SAN-01 screening matched to the designations table (the same
    cached run the nexus indicators use)."""
    designations = data.reference.get("designations")
    if designations is None or len(designations) == 0:
        return set()
    return _fired(data, "SAN-01")


def account_table(data: DetectionInput, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Account features of ``data`` as of ``as_of`` (default: the period's last transaction),
    one row per account seen, indexed by ``account_key``."""
    cut = as_of
    if cut is not None and data.period_end is not None:
        cut = min(pd.Timestamp(cut), pd.Timestamp(data.period_end))
    return account_features(
        data.transactions, cut, designated_account_keys=designated_accounts(data)
    )


def account_labels(
    labels: pd.DataFrame,
    account_keys: Iterable[int],
    typologies: Iterable[str] | None = None,
    before: pd.Timestamp | None = None,
    transactions: pd.DataFrame | None = None,
) -> pd.Series:
    """1 for suspicious accounts, else 0, per account of ``account_keys``.

    Suspicious: a core account of a scenario (of ``typologies`` if given). Scenarios labelled
    by transaction only (AMLworld's ``Is Laundering``, AMLSim's ``is_sar``) make both
    accounts of each labelled transaction suspicious, the usual account-level reading of
    those data sets; this needs ``transactions``. With ``before``, a scenario counts only if
    one of its labelled transactions happened before that time: a model trained on an
    earlier period must not learn from scenarios that had not begun. Analyst dispositions
    (:func:`with_feedback`) count too: true positives and escalations are suspicious, and a
    false positive makes the account ordinary whatever else says."""
    keys = pd.Index(np.fromiter((int(k) for k in account_keys), np.int64), name="account_key")
    lab = labels
    if typologies is not None:
        lab = lab[lab["typology"].isin(list(typologies))]
    when = None
    if transactions is not None and len(transactions):
        when = transactions.set_index("txn_id")
    if before is not None:
        if when is None:
            raise ValueError("account_labels(before=...) needs the transactions")
        lab_t = lab.dropna(subset=["txn_id"])
        ts = lab_t["txn_id"].map(when["timestamp"])
        lab = lab[lab["scenario_id"].isin(set(lab_t.loc[ts < pd.Timestamp(before), "scenario_id"]))]
    core = lab[lab["account_key"].notna() & lab["is_core"].fillna(False).astype(bool)]
    pos = set(core["account_key"].astype(np.int64))
    with_accounts = set(lab.loc[lab["account_key"].notna(), "scenario_id"])
    txn_only = lab[lab["txn_id"].notna() & ~lab["scenario_id"].isin(with_accounts)]
    if len(txn_only) and when is not None:
        hit = when.reindex(txn_only["txn_id"].unique()).dropna(subset=["src_account_key"])
        pos |= set(hit["src_account_key"].astype(np.int64))
        pos |= set(hit["dst_account_key"].astype(np.int64))
    if "source" in lab.columns:
        # an analyst's false-positive disposition outranks any other label of the account
        fp = lab[(lab["source"] == "analyst") & ~lab["is_core"].fillna(False).astype(bool)]
        pos -= set(fp["account_key"].dropna().astype(np.int64))
    return pd.Series(keys.isin(list(pos)).astype(np.int64), index=keys, name="label")


def with_feedback(labels: pd.DataFrame, dispositions: pd.DataFrame) -> pd.DataFrame:
    """The store's labels plus analyst dispositions (``fiu feedback``) as labels of source
    ``analyst``: how analysts' decisions become training data."""
    from fiu_analytics.detection.lifecycle import dispositions_as_labels

    if dispositions is None or dispositions.empty:
        return labels
    extra = dispositions_as_labels(dispositions)
    if labels is None or labels.empty:
        return extra
    return pd.concat([labels, extra[list(labels.columns.intersection(extra.columns))]])
