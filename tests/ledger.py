"""Hand-built ledgers for indicator tests: rows in, a sorted :class:`DetectionInput` out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from fiu_analytics.indicators import DetectionInput

LEDGER_COLUMNS = ["txn_id", "timestamp", "amount_base", "channel", "src_account_key",
                  "dst_account_key"]  # fmt: skip


def detection_input(
    rows: Sequence[tuple],
    columns: Sequence[str] = LEDGER_COLUMNS,
    accounts: pd.DataFrame | None = None,
    parties: pd.DataFrame | None = None,
    reference: dict[str, Any] | None = None,
) -> DetectionInput:
    """Transactions from ``rows`` (``columns`` in order; timestamps parsed as UTC), sorted
    by time, with the given reference tables (empty by default)."""
    tx = pd.DataFrame(list(rows), columns=list(columns))
    tx["timestamp"] = pd.to_datetime(tx["timestamp"], utc=True)
    tx = tx.sort_values("timestamp", ignore_index=True)
    return DetectionInput(
        tx,
        accounts if accounts is not None else pd.DataFrame(),
        parties if parties is not None else pd.DataFrame(),
        tx["timestamp"].min(),
        tx["timestamp"].max(),
        reference=reference or {},
    )
