"""Columnar collection of generated transactions.

Normal behaviour adds whole numpy arrays at a time; scenarios add a handful of rows. Both go
through :meth:`Events.add`, which broadcasts scalars, so the two paths share one format.
Accounts are internal world indices until :func:`to_arrow` maps them to public keys.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

STRING_COLS = (
    "channel",
    "city",
    "mcc",
    "merchant",
    "narrative",
    "purpose_code",
    "reporter_id",
    "src_country",
    "dst_country",
)
NUMERIC_COLS = ("src", "dst", "ts", "amount", "label", "conductor")


class Events:
    """Chunks of transaction columns plus, for scenario rows, a label per row."""

    def __init__(self) -> None:
        self.chunks: list[dict[str, Any]] = []
        self.n = 0

    def add(
        self,
        src: Any,
        dst: Any,
        ts_us: Any,
        amount: Any,
        channel: Any,
        *,
        label: Any = -1,
        conductor: Any = -1,
        **strings: Any,
    ) -> np.ndarray:
        """Add rows; returns their positions (row numbers within this collection).

        Accounts are world account indices; ``conductor`` is a world party index (-1: none).
        """
        ts = np.atleast_1d(np.asarray(ts_us, dtype=np.int64))
        n = len(ts)
        if n == 0:
            return np.empty(0, np.int64)
        chunk: dict[str, Any] = {
            "src": np.broadcast_to(np.asarray(src, np.int64), n),
            "dst": np.broadcast_to(np.asarray(dst, np.int64), n),
            "ts": ts,
            "amount": np.broadcast_to(np.round(np.asarray(amount, np.float64), 2), n),
            "channel": channel,
            "label": np.broadcast_to(np.asarray(label, np.int64), n),
            "conductor": np.broadcast_to(np.asarray(conductor, np.int64), n),
            "n": n,
        }
        for k, v in strings.items():
            if k not in STRING_COLS:
                raise KeyError(f"unknown event column '{k}'; expected one of {STRING_COLS}")
            chunk[k] = v
        self.chunks.append(chunk)
        pos = np.arange(self.n, self.n + n)
        self.n += n
        return pos

    def extend(self, other: Events) -> None:
        self.chunks.extend(other.chunks)
        self.n += other.n

    def column(self, name: str) -> pa.Array | np.ndarray:
        """Concatenate one column over all chunks (numpy for numbers, Arrow for strings)."""
        if name not in STRING_COLS:
            arrs = [np.asarray(c[name]) for c in self.chunks]
            dtype = np.float64 if name == "amount" else np.int64
            return np.concatenate(arrs).astype(dtype, copy=False) if arrs else np.empty(0, dtype)
        parts = []
        for c in self.chunks:
            v = c.get(name)
            n = c["n"]
            if v is None:
                parts.append(pa.nulls(n, pa.string()))
            elif isinstance(v, str):
                parts.append(
                    pa.DictionaryArray.from_arrays(np.zeros(n, np.int32), [v]).cast(pa.string())
                )
            else:
                arr = np.asarray(v)
                if arr.dtype == object:
                    parts.append(pa.array(arr, pa.string(), from_pandas=True))
                else:
                    uniq, inv = np.unique(arr, return_inverse=True)
                    parts.append(
                        pa.DictionaryArray.from_arrays(
                            inv.astype(np.int32), pa.array(uniq.astype(str))
                        ).cast(pa.string())
                    )
        if not parts:
            return pa.array([], pa.string())
        return pa.concat_arrays(parts)
