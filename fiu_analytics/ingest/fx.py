"""Dated FX table: base-currency amounts for reported amounts.

A CSV with ``date,currency,usd_per_unit`` rows (``#`` comments allowed); the rate used for a
transaction is the latest one on or before its date, no older than ``max_age_days``. A missing
rate is an error for that record (it is quarantined with the reason), never a silent zero.
The package ships an illustrative sample table; an FIU supplies its official one with ``--fx``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from fiu_analytics.errors import InputFormatError


@dataclass
class FxTable:
    """Rates to the base currency by date. ``base`` converts at 1."""

    rates: dict[str, tuple[np.ndarray, np.ndarray]]  # currency -> (dates as int days, rates)
    base: str = "USD"
    max_age_days: int = 45
    source: str = ""

    @classmethod
    def from_csv(
        cls, path: Path | str | None = None, base: str = "USD", max_age_days: int = 45
    ) -> FxTable:
        if path is None:
            ref = resources.files("fiu_analytics.data").joinpath("fx_rates_sample.csv")
            text_path = str(ref)
        else:
            text_path = str(path)
        try:
            df = pd.read_csv(text_path, comment="#", dtype={"currency": str})
        except (OSError, ValueError) as exc:
            raise InputFormatError(text_path, f"cannot read FX table ({exc})") from exc
        missing = {"date", "currency", "usd_per_unit"} - set(df.columns)
        if missing:
            raise InputFormatError(
                text_path,
                f"FX table lacks column(s) {sorted(missing)}; expected date,currency,usd_per_unit",
            )
        df["d"] = pd.to_datetime(df["date"], errors="coerce", format="ISO8601")
        bad = df["d"].isna() | ~(pd.to_numeric(df["usd_per_unit"], errors="coerce") > 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputFormatError(
                text_path,
                f"bad FX row {df.iloc[i].to_dict()}: expected an ISO date and a positive rate",
                position=f"data row {i + 1}",
            )
        rates = {}
        for cur, g in df.sort_values("d").groupby("currency"):
            days = g["d"].to_numpy("datetime64[D]").astype(np.int64)
            rates[str(cur).upper()] = (days, g["usd_per_unit"].to_numpy(float))
        return cls(rates, base, max_age_days, text_path)

    def convert(
        self, amounts: np.ndarray, currencies: np.ndarray, days: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Base amounts and a mask of rows that have no usable rate."""
        out = np.full(len(amounts), np.nan)
        cur = np.asarray(currencies).astype(str)
        is_base = cur == self.base
        out[is_base] = amounts[is_base]
        for c in np.unique(cur[~is_base]):
            rows = np.flatnonzero(cur == c)
            if c not in self.rates:
                continue
            d, r = self.rates[c]
            pos = np.searchsorted(d, days[rows], side="right") - 1
            ok = pos >= 0
            ok[ok] &= (days[rows][ok] - d[pos[ok]]) <= self.max_age_days
            out[rows[ok]] = amounts[rows[ok]] * r[pos[ok]]
        return out, np.isnan(out)

    def convert_codes(
        self, amounts: np.ndarray, codes: np.ndarray, currencies: list[str | None], days: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`convert` for currencies given as codes into ``currencies`` (None: unknown)."""
        out = np.full(len(amounts), np.nan)
        for c, cur in enumerate(currencies):
            if cur is None:
                continue
            rows = np.flatnonzero(codes == c)
            if not len(rows):
                continue
            if cur == self.base:
                out[rows] = amounts[rows]
                continue
            if cur not in self.rates:
                continue
            d, r = self.rates[cur]
            pos = np.searchsorted(d, days[rows], side="right") - 1
            ok = pos >= 0
            ok[ok] &= (days[rows][ok] - d[pos[ok]]) <= self.max_age_days
            out[rows[ok]] = amounts[rows[ok]] * r[pos[ok]]
        return out, np.isnan(out)

    def why_missing(self, currency: str, day: np.datetime64) -> str:
        if currency not in self.rates:
            return (
                f"no FX rate for currency {currency} in {self.source or 'the FX table'}; "
                f"expected one of {sorted(self.rates)} or the base {self.base}"
            )
        return (
            f"no FX rate for {currency} on or within {self.max_age_days} days before "
            f"{day} in {self.source or 'the FX table'}"
        )
