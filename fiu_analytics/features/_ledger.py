"""Reading transactions into compact arrays (private): from the canonical transactions frame or
from a numeric array with a documented column order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fiu_analytics.features._common import epoch_seconds

ARRAY_COLUMNS: tuple[str, ...] = ("timestamp", "src_account_key", "dst_account_key", "amount_base")
"""Column order of numeric-array input: epoch seconds, payer key, payee key, base amount. Further
columns are ignored; channel and countries are unknown (their features are 0; a self-loop counts
as cash going out). Trailing columns may be left out: the payee then defaults to the payer (a
self-loop) and the amount to 0."""
FRAME_COLUMNS: tuple[str, ...] = (
    "timestamp",
    "src_account_key",
    "dst_account_key",
    "amount_base",
)


@dataclass
class Batch:
    """Transactions as arrays. ``key`` identifies a transaction (hash of ``txn_id``, or of the
    whole row for arrays) so that one seen in history and again in X is counted once.
    ``deposit``: a self-loop whose channel is ``cash_deposit`` (money coming in; every other
    self-loop is money going out, as in :func:`account_features`)."""

    t: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    amount: np.ndarray
    key: np.ndarray
    deposit: np.ndarray

    def __len__(self) -> int:
        return len(self.t)

    def take(self, sel: np.ndarray) -> Batch:
        return Batch(*(getattr(self, f)[sel] for f in Batch.fields()))

    @staticmethod
    def concat(a: Batch, b: Batch) -> Batch:
        return Batch(*(np.r_[getattr(a, f), getattr(b, f)] for f in Batch.fields()))

    @staticmethod
    def fields() -> tuple[str, ...]:
        return ("t", "src", "dst", "amount", "key", "deposit")

    @staticmethod
    def empty() -> Batch:
        z = np.zeros(0, np.int64)
        return Batch(z, z, z, np.zeros(0), np.zeros(0, np.uint64), np.zeros(0, bool))


def is_ledger_frame(X: object) -> bool:
    return isinstance(X, pd.DataFrame) and "timestamp" in X.columns


def batch_from_frame(X: pd.DataFrame) -> Batch:
    missing = [c for c in FRAME_COLUMNS if c not in X.columns]
    if missing:
        raise ValueError(
            f"X lacks column(s) {missing}; expected a transactions frame with at least "
            f"{list(FRAME_COLUMNS)} (or a numeric array with columns {list(ARRAY_COLUMNS)})"
        )
    for c in FRAME_COLUMNS:
        if X[c].isna().any():
            raise ValueError(f"X column '{c}' has missing values; expected none")
    t = epoch_seconds(X["timestamp"])
    amount = X["amount_base"].to_numpy(float)
    if not np.isfinite(amount).all():
        raise ValueError("X column 'amount_base' has infinite values; expected finite amounts")
    src = X["src_account_key"].to_numpy(np.int64)
    dst = X["dst_account_key"].to_numpy(np.int64)
    if "txn_id" in X.columns:
        key = pd.util.hash_array(X["txn_id"].astype(str).to_numpy(object))
    else:
        key = _row_key(t, src, dst, amount)
    deposit = np.zeros(len(t), bool)
    loop = src == dst
    if "channel" in X.columns and loop.any():
        deposit[loop] = X["channel"].to_numpy(object)[loop] == "cash_deposit"
    return Batch(t, src, dst, amount, key, deposit)


def batch_from_array(arr: np.ndarray) -> Batch:
    t = np.floor(arr[:, 0]).astype(np.int64)
    src = np.floor(arr[:, 1]).astype(np.int64)
    dst = np.floor(arr[:, 2]).astype(np.int64) if arr.shape[1] > 2 else src.copy()
    amount = arr[:, 3].astype(float) if arr.shape[1] > 3 else np.zeros(len(arr))
    # the identity of a row is all its values as given (before flooring)
    key = pd.util.hash_pandas_object(pd.DataFrame(arr), index=False).to_numpy(np.uint64)
    return Batch(t, src, dst, amount, key, np.zeros(len(t), bool))  # no channel: no deposits


def _row_key(t: np.ndarray, src: np.ndarray, dst: np.ndarray, amount: np.ndarray) -> np.ndarray:
    frame = pd.DataFrame({"t": t, "s": src, "d": dst, "a": amount})
    return pd.util.hash_pandas_object(frame, index=False).to_numpy(np.uint64)
