"""A generated world written in the two research formats: IBM AMLworld and IBM AMLSim.

These let the same commands that read real research data (``fiu ingest`` with the built-in
``amlworld`` and ``amlsim`` readers, then ``fiu train``, ``fiu score``) run end to end here,
where the published data sets cannot be downloaded. The labels are the research formats' own:
a transaction is laundering (``Is Laundering`` = 1, ``is_sar`` = true) when it belongs to a
scenario of the generator.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from fiu_analytics import schema
from fiu_analytics.evaluation import laundering_transactions
from fiu_analytics.store import Store

# AMLworld writes currencies as words and payment formats as its own names
_AMLWORLD_CURRENCY = {
    "USD": "US Dollar", "EUR": "Euro", "XBT": "Bitcoin", "CNY": "Yuan", "INR": "Rupee",
    "JPY": "Yen", "GBP": "UK Pound", "RUB": "Ruble", "CAD": "Canadian Dollar",
    "AUD": "Australian Dollar", "CHF": "Swiss Franc", "BRL": "Brazil Real",
    "MXN": "Mexican Peso", "SAR": "Saudi Riyal", "ILS": "Shekel",
}  # fmt: skip
_AMLWORLD_FORMAT = {
    "wire": "Wire", "cash_deposit": "Cash", "cash_withdrawal": "Cash", "card": "Credit Card",
    "cheque": "Cheque", "crypto": "Bitcoin", "internal": "Reinvestment",
}  # fmt: skip
_AMLSIM_TYPE = {
    "wire": "WIRE", "cash_deposit": "CASH-IN", "cash_withdrawal": "CASH-OUT", "card": "CREDIT",
    "cheque": "CHECK",
}  # fmt: skip


def _ledger(store: Store) -> pd.DataFrame:
    """Transactions with both accounts' institution and number and the laundering flag."""
    tx = store.read(schema.TRANSACTIONS).sort_values("timestamp", ignore_index=True)
    acc = store.read(schema.ACCOUNTS).set_index("account_key")
    number = acc["account_id"].str.split("/", n=1).str[-1]
    for side in ("src", "dst"):
        k = tx[f"{side}_account_key"]
        tx[f"{side}_bank"] = k.map(acc["institution"]).to_numpy()
        tx[f"{side}_number"] = k.map(number).to_numpy()
    labels = store.read(schema.LABELS)
    scen = labels.dropna(subset=["txn_id"]).drop_duplicates("txn_id")
    tx["scenario"] = tx["txn_id"].map(scen.set_index("txn_id")["scenario_id"])
    tx["laundering"] = laundering_transactions(labels, tx)
    return tx


def write_amlworld(store: Store, path: str | Path) -> Path:
    """The store's transactions as an AMLworld ``*_Trans.csv`` (amounts paid = received;
    currencies the format cannot name are converted to US dollars at the base amount)."""
    tx = _ledger(store)
    known = tx["currency"].isin(list(_AMLWORLD_CURRENCY))
    cur = np.where(known, tx["currency"], "USD")
    amount = np.where(known, tx["amount"], tx["amount_base"])
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["Timestamp", "From Bank", "Account", "To Bank", "Account", "Amount Received",
             "Receiving Currency", "Amount Paid", "Payment Currency", "Payment Format",
             "Is Laundering"]
        )  # fmt: skip
        words = pd.Series(cur).map(_AMLWORLD_CURRENCY).to_numpy()
        fmts = tx["channel"].map(_AMLWORLD_FORMAT).fillna("ACH").to_numpy()
        stamps = tx["timestamp"].dt.strftime("%Y/%m/%d %H:%M").to_numpy()
        for i in range(len(tx)):
            w.writerow(
                [stamps[i], tx["src_bank"].iat[i], tx["src_number"].iat[i], tx["dst_bank"].iat[i],
                 tx["dst_number"].iat[i], f"{amount[i]:.2f}", words[i], f"{amount[i]:.2f}",
                 words[i], fmts[i], int(tx["laundering"].iat[i])]
            )  # fmt: skip
    return out


def write_amlsim(store: Store, folder: str | Path) -> Path:
    """The store's transactions as an AMLSim output folder holding ``transactions.csv``
    (``tran_id, orig_acct, bene_acct, tx_type, base_amt, tran_timestamp, is_sar,
    alert_id``; amounts in the base currency)."""
    tx = _ledger(store)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    alert = tx["scenario"].astype("category").cat.codes.where(tx["laundering"], -1)
    frame = pd.DataFrame(
        {
            "tran_id": np.arange(1, len(tx) + 1),
            "orig_acct": tx["src_bank"] + "-" + tx["src_number"],
            "bene_acct": tx["dst_bank"] + "-" + tx["dst_number"],
            "tx_type": tx["channel"].map(_AMLSIM_TYPE).fillna("TRANSFER"),
            "base_amt": tx["amount_base"].round(2),
            "tran_timestamp": tx["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "is_sar": np.where(tx["laundering"], "true", "false"),
            "alert_id": alert.to_numpy(),
        }
    )
    frame.to_csv(out / "transactions.csv", index=False)
    return out
