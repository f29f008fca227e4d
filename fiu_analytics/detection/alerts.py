"""The alert CSV analysts take away: a documented, stable column order.

UTF-8, ISO 8601 dates, one row per alert, sorted by rank. The columns and their meaning are
:data:`ALERT_CSV_DESCRIPTIONS`; docs/alerts-csv.md is generated from it
(:func:`alert_csv_markdown`). New columns are only ever appended.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ALERT_CSV_DESCRIPTIONS: dict[str, str] = {
    "alert_id": "Stable id from typology, subject and period: a rerun updates, never duplicates.",
    "typology_id": "Typology that raised the alert.",
    "typology_version": "Version of the typology at the time.",
    "typology_title": "Human-readable title of the typology.",
    "level": "Severity level of the typology (informational .. critical).",
    "subject": "Subject account id (institution/number or IBAN).",
    "subject_account_key": "Subject account key in the store.",
    "score": "Typology score in [0, 1] (weighted indicator scores).",
    "rank": "1 = highest score in this run.",
    "indicators": "Indicators that fired: `ID=value (reason)`, `; `-separated.",
    "total_amount": "Sum of the evidence transactions in the base currency.",
    "evidence_txn_count": "Number of evidence transactions.",
    "counterparties": "Distinct counterparties in the evidence.",
    "countries": "Countries in the evidence, `;`-separated.",
    "evidence_txn_ids": "Evidence transaction ids, `;`-separated.",
    "path": "Money path for nexus alerts (empty otherwise).",
    "period_start": "First day of the scored period (ISO date).",
    "period_end": "Day after the scored period (ISO date).",
    "status": "Lifecycle status: new, updated, unchanged or closed.",
}
ALERT_CSV_COLUMNS = list(ALERT_CSV_DESCRIPTIONS)


def alert_csv_markdown() -> str:
    """docs/alerts-csv.md, generated from :data:`ALERT_CSV_DESCRIPTIONS`."""
    lines = [
        "# alerts.csv",
        "",
        "Generated from `fiu_analytics/detection/alerts.py`; do not edit by hand.",
        "",
        "UTF-8, ISO 8601 dates, one row per alert, sorted by rank. "
        "Columns keep this order; new ones are only appended.",
        "",
        "| # | column | meaning |",
        "|---|---|---|",
    ]
    lines += [
        f"| {i} | `{k}` | {v} |" for i, (k, v) in enumerate(ALERT_CSV_DESCRIPTIONS.items(), 1)
    ]
    return "\n".join(lines) + "\n"


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
