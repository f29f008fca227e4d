"""The alert CSV analysts take away: a documented, stable column order.

Columns (UTF-8, ISO 8601 dates, one row per alert, sorted by rank):

=====================  =====================================================================
alert_id               stable id: typology, subject and period (a rerun updates, not duplicates)
typology_id            typology that raised it
typology_version       its version at the time
typology_title         human title
level                  severity level of the typology
subject                subject account id (institution/number)
subject_account_key    subject account key in the store
score                  typology score in [0, 1]
rank                   1 = highest score in this run
indicators             fired indicators: ``ID=value (reason)``, ``; ``-separated
total_amount           sum of the evidence transactions (base currency)
evidence_txn_count     number of evidence transactions
counterparties         distinct counterparties in the evidence
countries              countries in the evidence, ``;``-separated
evidence_txn_ids       evidence transaction ids, ``;``-separated
path                   money path for nexus alerts (empty otherwise)
period_start           start of the scored period (ISO date)
period_end             end of the scored period (ISO date)
status                 lifecycle status (new, updated, unchanged, closed)
=====================  =====================================================================
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ALERT_CSV_COLUMNS = [
    "alert_id",
    "typology_id",
    "typology_version",
    "typology_title",
    "level",
    "subject",
    "subject_account_key",
    "score",
    "rank",
    "indicators",
    "total_amount",
    "evidence_txn_count",
    "counterparties",
    "countries",
    "evidence_txn_ids",
    "path",
    "period_start",
    "period_end",
    "status",
]


def alert_table(
    alerts: pd.DataFrame, transactions: pd.DataFrame, accounts: pd.DataFrame
) -> pd.DataFrame:
    """Alerts enriched with evidence totals and account ids, in the CSV column order."""
    if alerts.empty:
        return pd.DataFrame(columns=ALERT_CSV_COLUMNS)
    ids = accounts.set_index("account_key")["account_id"]
    tx = transactions.set_index("txn_id")
    rows = []
    for a in alerts.itertuples(index=False):
        ev = tx.loc[tx.index.intersection(a.evidence_txn_ids)]
        subj = a.subject_account_key
        other = pd.concat(
            [
                ev.loc[ev["src_account_key"] != subj, "src_account_key"],
                ev.loc[ev["dst_account_key"] != subj, "dst_account_key"],
            ]
        )
        countries = sorted(set(ev["src_country"].dropna()) | set(ev["dst_country"].dropna()))
        rows.append(
            {
                "total_amount": round(float(ev["amount_base"].sum()), 2),
                "evidence_txn_count": len(a.evidence_txn_ids),
                "counterparties": int(other.nunique()),
                "countries": ";".join(countries),
            }
        )
    out = alerts.reset_index(drop=True).join(pd.DataFrame(rows))
    out["subject"] = out["subject_account_key"].map(ids)
    out["rank"] = out["score"].rank(method="first", ascending=False).astype(int)
    out["evidence_txn_ids"] = out["evidence_txn_ids"].map(";".join)
    out["path"] = out.get("path", "")
    out["status"] = out.get("status", "new")
    for c in ("period_start", "period_end"):
        out[c] = pd.to_datetime(out[c]).dt.strftime("%Y-%m-%d")
    out["score"] = out["score"].round(4)
    return out.sort_values("rank")[ALERT_CSV_COLUMNS].reset_index(drop=True)


def write_alert_csv(table: pd.DataFrame, path: Path) -> Path:
    """Write the alert table as UTF-8 CSV, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table[ALERT_CSV_COLUMNS].to_csv(path, index=False, encoding="utf-8")
    path.chmod(0o600)
    return path
