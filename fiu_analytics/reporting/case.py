"""Case packages: one folder per alert with what an analyst needs to open the case.

``<out_dir>/<alert_id>/`` holds

- ``alert.json``: the alert, its indicators (id, value, reason) and what the package contains;
- ``evidence.csv``: the evidence transactions, with account ids, in time order;
- ``subgraph.graphml``: the aggregated money flow around the subject (Gephi, Cytoscape, yEd);
- ``flow.png``: the picture of that flow (see :func:`fiu_analytics.graph.money_flow_picture`).

Folders are 0o700 and files 0o600: the package names accounts and carries evidence. Owner
names and narratives are left out unless ``include_names=True``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from fiu_analytics.errors import ConfigError
from fiu_analytics.graph import (
    MORE,
    aggregated_flow_graph,
    money_flow_picture,
    money_flow_subgraph,
    picture_graph,
)
from fiu_analytics.indicators import DetectionInput
from fiu_analytics.reporting._files import private_dir, private_open, safe_name

CASE_FILES = ("alert.json", "evidence.csv", "subgraph.graphml", "flow.png")

EVIDENCE_COLUMNS = [
    "txn_id",
    "timestamp",
    "amount",
    "currency",
    "amount_base",
    "channel",
    "src_account",
    "dst_account",
    "src_account_key",
    "dst_account_key",
    "src_country",
    "dst_country",
    "city",
    "purpose_code",
    "conductor_party_id",
    "reporter_id",
    "report_id",
]
"""Columns of evidence.csv; ``include_names`` adds owner names, merchant and narrative."""
NAME_COLUMNS = ["src_owner_name", "dst_owner_name", "merchant", "narrative"]

_INDICATOR = re.compile(r"(?:^|;\s)([^=;\s]+)=(\S+) \((.*?)\)(?=;\s[^=;\s]+=|$)")


def parse_indicators(text: Any) -> list[dict[str, Any]]:
    """``"ID=value (reason); ..."`` (the alert's ``indicators``) as a list of dicts.

    >>> parse_indicators("fan_in=24 (24 distinct counterparties)")
    [{'id': 'fan_in', 'value': 24.0, 'reason': '24 distinct counterparties'}]
    """
    if not isinstance(text, str) or not text.strip():
        return []
    out = []
    for ind, value, reason in _INDICATOR.findall(text.strip()):
        try:
            v: Any = float(value)
        except ValueError:
            v = value
        out.append({"id": ind, "value": v, "reason": reason})
    return out or [{"id": "", "value": None, "reason": text.strip()}]


def evidence_ids(value: Any) -> list[str]:
    """Evidence transaction ids from a list (alerts frame) or a ';'-joined string (CSV)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return [t for t in value.split(";") if t]
    return [str(t) for t in value]


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.isoformat()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def _day(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def alert_record(alert_row: Any, accounts: pd.DataFrame | None = None) -> dict[str, Any]:
    """An alert (a row of the alerts frame or of the alert CSV table) as a plain dict.

    ``evidence_txn_ids`` becomes a list, periods ISO dates, ``indicators`` a list of
    ``{id, value, reason}`` (the original text is kept in ``indicators_text``) and ``subject``
    the subject's account id (looked up in ``accounts`` when the row has none).
    """
    if isinstance(alert_row, pd.Series):
        row = alert_row.to_dict()
    elif isinstance(alert_row, Mapping):
        row = dict(alert_row)
    elif hasattr(alert_row, "_asdict"):
        row = alert_row._asdict()
    else:
        raise ConfigError(
            f"alert_row must be a pandas Series, a mapping or a namedtuple; got "
            f"{type(alert_row).__name__}"
        )
    for need in ("alert_id", "subject_account_key"):
        if need not in row:
            raise ConfigError(f"alert_row has no '{need}'; got fields {sorted(row)}")
    rec = {k: _json_safe(v) for k, v in row.items()}
    rec["subject_account_key"] = int(row["subject_account_key"])
    rec["evidence_txn_ids"] = evidence_ids(row.get("evidence_txn_ids"))
    rec["indicators_text"] = row.get("indicators") if isinstance(row.get("indicators"), str) else ""
    rec["indicators"] = parse_indicators(row.get("indicators"))
    for c in ("period_start", "period_end"):
        if c in row:
            rec[c] = _day(row[c])
    subject = row.get("subject")
    if not isinstance(subject, str) and accounts is not None and len(accounts):
        hit = accounts.loc[accounts["account_key"] == rec["subject_account_key"], "account_id"]
        subject = str(hit.iloc[0]) if len(hit) else None
    rec["subject"] = subject if isinstance(subject, str) else f"key:{rec['subject_account_key']}"
    return rec


def evidence_frame(
    transactions: pd.DataFrame,
    accounts: pd.DataFrame,
    txn_ids: list[str],
    parties: pd.DataFrame | None = None,
    include_names: bool = False,
) -> pd.DataFrame:
    """The evidence transactions in time order, with both account ids (:data:`EVIDENCE_COLUMNS`)."""
    ev = transactions[transactions["txn_id"].isin(txn_ids)]
    ev = ev.sort_values(["timestamp", "txn_id"], kind="stable")
    keys = pd.unique(np.r_[ev["src_account_key"].to_numpy(), ev["dst_account_key"].to_numpy()])
    acc = accounts[accounts["account_key"].isin(keys)].set_index("account_key")
    out = pd.DataFrame(index=ev.index)
    for c in EVIDENCE_COLUMNS:
        if c in ("src_account", "dst_account"):
            out[c] = ev[f"{c}_key"].map(acc["account_id"])
        else:
            out[c] = ev[c] if c in ev.columns else None
    out["timestamp"] = pd.to_datetime(out["timestamp"], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    if include_names:
        owner = acc["owner_party_id"]
        names = parties.set_index("party_id")["name"] if parties is not None else pd.Series()
        out["src_owner_name"] = ev["src_account_key"].map(owner).map(names)
        out["dst_owner_name"] = ev["dst_account_key"].map(owner).map(names)
        for c in ("merchant", "narrative"):
            out[c] = ev[c] if c in ev.columns else None
    return out.reset_index(drop=True)


def _period_text(rec: Mapping[str, Any]) -> str:
    start, end = rec.get("period_start"), rec.get("period_end")
    if not start or not end:
        return ""
    last = pd.Timestamp(end) - pd.Timedelta(days=1)  # period_end is exclusive
    return f"{start} to {last:%Y-%m-%d}"


def _picture_texts(
    rec: Mapping[str, Any], evidence: pd.DataFrame, currency: str
) -> tuple[str, str]:
    title = " · ".join(
        str(x)
        for x in (
            f"{rec.get('typology_id', '')} {rec.get('typology_version', '')}".strip(),
            rec.get("typology_title"),
        )
        if x
    )
    score = rec.get("score")
    head = [f"Alert {rec['alert_id']}", f"subject {rec['subject']}"]
    if isinstance(score, (int, float)):
        head.append(f"score {score:.2f}")
    if rec.get("level"):
        head.append(f"level {rec['level']}")
    if _period_text(rec):
        head.append(f"period {_period_text(rec)}")
    total = float(evidence["amount_base"].sum()) if len(evidence) else 0.0
    lines = [" · ".join(head)]
    lines += [
        f"{i['id']} = {i['value']:g}: {i['reason']}"
        if isinstance(i["value"], float)
        else f"{i['id']}: {i['reason']}"
        for i in rec["indicators"]
    ]
    lines.append(f"Evidence: {len(evidence)} transactions, total {total:,.2f} {currency}.")
    return title, "\n".join(lines)


def write_case_package(
    alert_row: Any,
    data: DetectionInput,
    out_dir: str | Path,
    *,
    hops: int = 1,
    max_nodes: int = 60,
    max_picture_nodes: int = 40,
    include_names: bool = False,
    base_currency: str = "USD",
) -> Path:
    """Write the case package of one alert to ``out_dir/<alert_id>/`` and return that folder.

    ``alert_row`` is a row of the alerts frame (:func:`fiu_analytics.detection.detect`) or of
    the alert CSV table; ``data`` the detection input it was raised on. The subgraph holds the
    subject, every evidence account and up to ``max_nodes`` accounts within ``hops`` steps;
    the picture shows at most ``max_picture_nodes`` boxes. Files are 0o600, the folder 0o700.

    Example::

        >>> for _, row in alerts.head(20).iterrows():
        ...     write_case_package(row, data, "output/cases")
    """
    rec = alert_record(alert_row, data.accounts)
    out = Path(out_dir)
    if not out.exists():
        private_dir(out)
    folder = private_dir(out / safe_name(rec["alert_id"], "alert_id"))
    ids = rec["evidence_txn_ids"]

    evidence = evidence_frame(data.transactions, data.accounts, ids, data.parties, include_names)
    with private_open(folder / "evidence.csv") as fh:
        evidence.to_csv(fh, index=False)

    sub = money_flow_subgraph(
        data.transactions,
        data.accounts,
        rec["subject_account_key"],
        ids,
        hops=hops,
        max_nodes=max_nodes,
        parties=data.parties,
        include_names=include_names,
    )
    agg = aggregated_flow_graph(sub)
    agg.graph.update(
        alert_id=rec["alert_id"],
        typology_id=str(rec.get("typology_id", "")),
        typology_version=str(rec.get("typology_version", "")),
        base_currency=base_currency,
    )
    with private_open(folder / "subgraph.graphml", "wb") as fh:
        nx.write_graphml(agg, fh)

    title, subtitle = _picture_texts(rec, evidence, base_currency)
    picture = money_flow_picture(
        agg, title=title, subtitle=subtitle, max_nodes=max_picture_nodes, currency=base_currency
    )
    with private_open(folder / "flow.png", "wb") as fh:
        picture.save_png(fh)
    shown = picture_graph(agg, agg.graph["subject"], max_picture_nodes)

    found = set(evidence["txn_id"])
    rec["evidence"] = {
        "count": len(ids),
        "found": len(found),
        "missing_txn_ids": [t for t in ids if t not in found],
        "total_base": round(float(evidence["amount_base"].sum()), 2),
        "base_currency": base_currency,
        "first": evidence["timestamp"].iloc[0] if len(evidence) else None,
        "last": evidence["timestamp"].iloc[-1] if len(evidence) else None,
    }
    rec["graph"] = {
        "accounts": sub.number_of_nodes(),
        "transactions": sub.number_of_edges(),
        "aggregated_edges": agg.number_of_edges(),
        "hops": hops,
        "max_nodes": max_nodes,
        "truncated": bool(sub.graph["truncated"]),
        "omitted_accounts": int(sub.graph["omitted_accounts"]),
        "capped_hubs": [h for h in sub.graph["capped_hubs"].split(";") if h],
        "note": sub.graph["note"],
        "picture_boxes": shown.number_of_nodes(),
        "picture_combined_accounts": int(shown.nodes[MORE]["hidden"]) if MORE in shown else 0,
        "picture_unlabelled_arrows": picture.unlabelled,
        "names_included": bool(include_names),
    }
    rec["files"] = list(CASE_FILES)
    with private_open(folder / "alert.json") as fh:
        json.dump(_json_safe(rec), fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    return folder
