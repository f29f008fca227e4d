"""Trafficking for forced labour: wages that do not stay with the worker, fronts without costs.

HT-09 an account paying many individuals with no business costs, HT-15 wages returned to the
employer or its associates, HT-16 several workers' wages into one account, HT-17 whole wages
leaving within a day, HT-20 outbound payments to trafficking-source countries. Wage credits are
recognised by purpose code (pacs.008 SALA/PAYR, or an FIU's own code such as WPS) or payroll
words in the narrative. ``subject`` parameters report on the employer or on the account the
wages end up in rather than on the worker, who is the victim.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from fiu_analytics.indicators.base import (
    DetectionInput,
    Param,
    empty_result,
    indicator,
    ramp,
    window_counts,
)
from fiu_analytics.indicators.trafficking_common import (
    DAY,
    TRANSFERS,
    Choice,
    account_parties,
    best_per_account,
    column,
    conductors,
    csv_list,
    peak_distinct,
    per_row,
    result,
    rows_in_window,
    salary_credits,
    shared_identifier_pairs,
    third_party_conducted,
    to_party_accounts,
    txn_ids,
)

_SALARY = {
    "salary_purposes": Param("SALA,PAYR", str, help="purpose/funds codes of wage credits"),
}
_BILLS = Param(
    "RENT,UBIL,TAXS,LOAN", str, help="purpose codes of living costs, not wages passed on"
)


@indicator(
    "HT-09",
    "Pays many individuals but has no business costs",
    window_days=Param(30, int, min=1, max=90),
    min_individuals=Param(5, int, min=2, help="distinct individuals paid within the window"),
    max_cost_share=Param(0.01, float, min=0, max=1, help="business costs / money paid out"),
    cost_purposes=Param("SUPP,RENT,UBIL,TAXS,GOVT,TRAD,INTC,LOAN", str),
    cost_kinds=Param(
        "company,utility,landlord,merchant,cash_business", str, help="payee entity kinds"
    ),
    channels=Param(TRANSFERS, str, help="channels of the payments to individuals"),
    max_evidence=Param(50, int, min=1),
)
def pays_individuals_without_costs(
    data: DetectionInput,
    window_days: int,
    min_individuals: int,
    max_cost_share: float,
    cost_purposes: str,
    cost_kinds: str,
    channels: str,
    max_evidence: int,
) -> pd.DataFrame:
    """Accounts paying >= ``min_individuals`` distinct individuals within ``window_days``
    while business costs (rent, utilities, suppliers, tax, card spend) stay at most
    ``max_cost_share`` of everything they pay out over the period."""
    tx = data.transactions
    ap = account_parties(data)
    src, dst = tx["src_account_key"].to_numpy(), tx["dst_account_key"].to_numpy()
    amt = tx["amount_base"].to_numpy()
    person = per_row(data, "dst_account_key", ap["party_type"].eq("person").to_numpy(), False)
    is_transfer = tx["channel"].isin(csv_list(channels)).to_numpy() & (src != dst)
    to_person = is_transfer & person
    if not to_person.any():
        return empty_result()
    pos = np.flatnonzero(to_person)
    day = data.ts_seconds[pos] // DAY
    best = peak_distinct(src[pos], dst[pos], day, window_days)
    best = best[best["distinct"] >= min_individuals]
    if best.empty:
        return empty_result()
    payer = best["subject"].to_numpy()
    paying = np.isin(src, payer) & (src != dst)
    cost_kind = ap["entity_kind"].isin(csv_list(cost_kinds)).to_numpy()
    cost = (
        column(tx, "purpose_code").isin(csv_list(cost_purposes)).to_numpy()
        | per_row(data, "dst_account_key", cost_kind, False)
        | (tx["channel"] == "card").to_numpy()
    )
    out = pd.DataFrame({"a": src[paying], "x": amt[paying], "cost": amt[paying] * cost[paying]})
    sums = out.groupby("a")[["x", "cost"]].sum()
    best["paid_out"] = sums["x"].reindex(payer).to_numpy()
    best["cost_share"] = (sums["cost"] / sums["x"]).reindex(payer).fillna(0).to_numpy()
    best = best[best["cost_share"] <= max_cost_share]
    if best.empty:
        return empty_result()
    rows = rows_in_window(src[pos], day, best, window_days)
    return result(
        best["subject"],
        best["distinct"],
        ramp(best["distinct"].to_numpy(), min_individuals, 2 * min_individuals),
        [
            f"paid {n} individuals within {window_days} days; business costs {c:.1%} of "
            f"{p:,.0f} paid out"
            for n, c, p in zip(best["distinct"], best["cost_share"], best["paid_out"], strict=True)
        ],
        [txn_ids(data, pos[rows[s]], max_evidence) for s in best["subject"]],
    )


def _wage_flows(
    data: DetectionInput,
    salary_purposes: str,
    window_days: float,
    channels: str,
    bill_purposes: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wage credits and what left each worker's account within ``window_days`` after one.

    Returns (wages, flows). wages: sid, employer, worker, t, wage, pos. flows: sid, receiver
    (-1 for cash kept by the worker), amount, pos; cash a third party withdrew counts as
    received by that party's accounts. Payments with a bill purpose code are left out."""
    tx = data.transactions
    sal = np.flatnonzero(salary_credits(data, salary_purposes))
    if len(sal) == 0:
        return pd.DataFrame(), pd.DataFrame()
    v = data.arrays
    src, dst, amt = v.src, v.dst, v.amount
    ts = data.ts_seconds
    wages = pd.DataFrame(
        {"sid": np.arange(len(sal)), "employer": src[sal], "worker": dst[sal]}
    ).assign(t=ts[sal], wage=amt[sal], pos=sal)
    workers = np.unique(dst[sal])
    withdrawal = v.equals("channel", "cash_withdrawal")
    transfer = v.isin("channel", csv_list(channels)) & (src != dst)
    transfer &= ~v.isin("purpose_code", csv_list(bill_purposes))
    out = np.flatnonzero((transfer | withdrawal) & (pd.Index(workers).get_indexer(src) >= 0))
    recv = np.where(transfer[out], dst[out], -1)
    third = third_party_conducted(data, "src_account_key")[out] & withdrawal[out]
    if third.any():
        r, acc = to_party_accounts(data, conductors(tx, out[third]), np.flatnonzero(third))
        recv = recv.copy()
        recv[r] = acc  # a party holding several accounts keeps the last; fine for a receiver
    return wages, _flows_after(wages, src[out], ts[out], recv, amt[out], out, window_days * DAY)


def _flows_after(
    wages: pd.DataFrame,
    worker: np.ndarray,
    t: np.ndarray,
    receiver: np.ndarray,
    amount: np.ndarray,
    pos: np.ndarray,
    window_s: float,
) -> pd.DataFrame:
    """For each wage (in ``wages`` order), the worker's payments out (rows given in time
    order) in ``(t_wage, t_wage + window_s]``, in time order: columns sid, receiver, amount,
    pos. One sorted search per wage instead of joining every wage with every payment of its
    worker, which held wages x payments rows per worker."""
    cols = ["sid", "receiver", "amount", "pos"]
    if len(t) == 0 or wages.empty:
        return pd.DataFrame({c: np.zeros(0, np.int64) for c in cols})
    w_worker = wages["worker"].to_numpy(np.int64)
    w_t = wages["t"].to_numpy(np.int64)
    w_end = np.floor(w_t + window_s).astype(np.int64)  # integer times: <= t + w is <= floor
    order = np.argsort(worker, kind="stable")
    t0 = int(min(t.min(), w_t.min()))
    span = int(max(t.max(), w_end.max())) - t0 + 2
    key = worker[order].astype(np.int64) * span + (t[order] - t0)
    lo = np.searchsorted(key, w_worker * span + (w_t - t0), side="right")
    hi = np.searchsorted(key, w_worker * span + (w_end - t0), side="right")
    n = np.maximum(hi - lo, 0)
    first = np.repeat(lo, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    take = order[first]
    return pd.DataFrame(
        {
            "sid": np.repeat(wages["sid"].to_numpy(), n),
            "receiver": receiver[take],
            "amount": amount[take],
            "pos": pos[take],
        }
    )


def _evidence_rows(records: pd.DataFrame, flows: pd.DataFrame) -> pd.DataFrame:
    """Long (employer, receiver, worker, pos) rows: the wage credits of ``records`` (sid,
    receiver, employer, worker, pos) and the payments out of each that made it count."""
    cols = ["receiver", "employer", "worker", "pos"]
    out = records[["sid", "receiver", "employer", "worker"]].merge(flows, on=["sid", "receiver"])
    return pd.concat([records[cols], out[cols]], ignore_index=True)


def _subject_rows(
    records: pd.DataFrame,
    evidence: pd.DataFrame,
    subject: str,
    what: str,
    min_workers: int,
    data: DetectionInput,
    cap: int,
) -> pd.DataFrame:
    """Rows for employers and/or receivers from (employer, receiver, worker) records, with
    evidence from long (employer, receiver, pos) rows."""
    frames = []
    wanted = ["employer", "receiver"] if subject in ("both", "linked") else [subject]
    for role in wanted:
        g = records[records[role] >= 0]
        ev = evidence[evidence[role] >= 0]
        if role == "receiver":
            g = g[g["receiver"] != g["employer"]]
            ev = ev[ev["receiver"] != ev["employer"]]
        n = g.groupby(role)["worker"].nunique()
        n = n[n >= min_workers]
        if n.empty:
            continue
        pos = ev[ev[role].isin(n.index)].groupby(role)["pos"].agg(list).reindex(n.index)
        lead = "{} workers' wages: " if role == "employer" else "from {} workers: "
        frames.append(
            pd.DataFrame(
                {
                    "account_key": n.index.to_numpy(np.int64),
                    "value": n.to_numpy(float),
                    "score": ramp(n.to_numpy(), min_workers, min_workers + 2),
                    "reason": [lead.format(k) + what for k in n],
                    "evidence_txn_ids": [txn_ids(data, sorted(p), cap) for p in pos],
                }
            )
        )
    if not frames:
        return empty_result()
    return best_per_account(pd.concat(frames, ignore_index=True))


@indicator(
    "HT-15",
    "Wages returned to the employer or its associates",
    window_days=Param(3.0, float, min=0.1, max=31),
    min_share=Param(0.5, float, min=0, max=1, help="share of a wage handed back"),
    min_periods=Param(2, int, min=1, help="pay periods with a return, per worker"),
    min_workers=Param(2, int, min=1),
    identifiers=Param("phone,address,device_id", str, help="what links an associate"),
    subject=Choice("both", str, choices=("both", "employer", "receiver")),
    channels=Param(TRANSFERS, str),
    bill_purposes=_BILLS,
    max_evidence=Param(50, int, min=1),
    **_SALARY,
)
def wages_returned(
    data: DetectionInput,
    window_days: float,
    min_share: float,
    min_periods: int,
    min_workers: int,
    identifiers: str,
    subject: str,
    channels: str,
    bill_purposes: str,
    max_evidence: int,
    salary_purposes: str,
) -> pd.DataFrame:
    """Employers whose workers hand >= ``min_share`` of a wage back within ``window_days``
    in >= ``min_periods`` pay periods, to the employer itself or an associate (a party sharing
    a phone, address or device with it, or a person collecting wages from >= ``min_workers``
    of its workers), including cash a third party withdrew; and the associates who receive.
    """
    wages, flows = _wage_flows(data, salary_purposes, window_days, channels, bill_purposes)
    if flows.empty:
        return empty_result()
    flows = flows[flows["receiver"] >= 0]
    per = flows.groupby(["sid", "receiver"], as_index=False)["amount"].sum()
    per = per.merge(wages, on="sid")
    per = per[(per["amount"] >= min_share * per["wage"]) & (per["receiver"] != per["worker"])]
    if per.empty:
        return empty_result()
    linked = shared_identifier_pairs(data, csv_list(identifiers))
    pair = pd.MultiIndex.from_arrays([per["employer"], per["receiver"]])
    if len(linked):
        is_linked = pair.isin(pd.MultiIndex.from_frame(linked[["a", "b"]]))
    else:
        is_linked = np.zeros(len(per), bool)
    ap = account_parties(data)
    person = ap["party_type"].reindex(per["receiver"]).to_numpy() == "person"
    collects = per.groupby(["employer", "receiver"])["worker"].transform("nunique")
    ok = (
        (per["receiver"] == per["employer"]).to_numpy()
        | is_linked
        | (person & (collects >= min_workers).to_numpy())
    )
    per = per[ok]
    periods = per.groupby(["employer", "worker"])["sid"].transform("nunique")
    per = per[periods >= min_periods]
    if per.empty:
        return empty_result()
    what = (
        f"{min_share:.0%}+ of a wage handed back to the employer or an associate within "
        f"{window_days:g} days, in {min_periods}+ pay periods each"
    )
    evidence = _evidence_rows(per, flows)
    return _subject_rows(per, evidence, subject, what, min_workers, data, max_evidence)


_PAYROLL_NAME = re.compile(r"(?i)^\s*(?:payroll|salary|wages?)\s*[:\-]?\s+(?P<name>\S.*?)\s*$")


@indicator(
    "HT-16",
    "Several workers' wages paid into one account",
    window_days=Param(7, int, min=1, max=31, help="one pay period"),
    min_count=Param(3, int, min=2, help="distinct worker names, or wage credits from one payer"),
    subject=Choice("account", str, choices=("account", "employer", "both")),
    max_evidence=Param(50, int, min=1),
    **_SALARY,
)
def pooled_wages(
    data: DetectionInput,
    window_days: int,
    min_count: int,
    subject: str,
    max_evidence: int,
    salary_purposes: str,
) -> pd.DataFrame:
    """Accounts receiving, within one pay period, wage credits naming >= ``min_count``
    distinct workers other than the holder, or >= ``min_count`` wage credits from one employer
    (reported on the account, the employer, or both)."""
    tx = data.transactions
    sal = np.flatnonzero(salary_credits(data, salary_purposes))
    if len(sal) == 0:
        return empty_result()
    acc = tx["dst_account_key"].to_numpy()[sal]
    emp = tx["src_account_key"].to_numpy()[sal]
    ts = data.ts_seconds[sal]
    day = ts // DAY
    # (i) payroll narratives naming someone other than the holder
    narr = column(tx, "narrative").iloc[sal].fillna("").astype(str)
    named = narr.str.extract(_PAYROLL_NAME)["name"].str.casefold().str.strip()
    holder = account_parties(data)["name"].reindex(acc).fillna("").astype(str).str.casefold()
    other = named.notna().to_numpy() & (named.fillna("").to_numpy() != holder.to_numpy())
    frames = []
    if other.any():
        codes = pd.factorize(named.to_numpy()[other])[0]
        best = peak_distinct(acc[other], codes, day[other], window_days)
        best = best[best["distinct"] >= min_count]
        if not best.empty:
            rows = rows_in_window(acc[other], day[other], best, window_days)
            sel = sal[other]
            frames.append(
                pd.DataFrame(
                    {
                        "account_key": best["subject"].to_numpy(),
                        "value": best["distinct"].to_numpy(float),
                        "kind": "names",
                        "pos": [sel[rows[s]] for s in best["subject"]],
                    }
                )
            )
    # (ii) several wage credits from one employer into one account within a pay period
    pair = pd.factorize(pd.MultiIndex.from_arrays([acc, emp]))[0]
    order = np.lexsort((ts, pair))
    left, count, _ = window_counts(pair[order], ts[order], window_days * DAY)
    hit = count >= min_count
    if hit.any():
        f = pd.DataFrame(
            {"account_key": acc[order][hit], "count": count[hit], "l": left[hit]}
        ).assign(r=np.flatnonzero(hit))
        f = f.sort_values(["account_key", "count"]).groupby("account_key").tail(1)
        frames.append(
            pd.DataFrame(
                {
                    "account_key": f["account_key"].to_numpy(),
                    "value": f["count"].to_numpy(float),
                    "kind": "credits",
                    "pos": [sal[order][lo : hi + 1] for lo, hi in zip(f["l"], f["r"], strict=True)],
                }
            )
        )
    if not frames:
        return empty_result()
    allf = pd.concat(frames, ignore_index=True)
    allf["named"] = allf["kind"] == "names"  # on a tie, names say more than a count
    allf = allf.sort_values(["account_key", "value", "named"])
    allf = allf.groupby("account_key").tail(1)
    src = tx["src_account_key"].to_numpy()
    rows = []
    for a, v, kind, pos in zip(
        allf["account_key"], allf["value"], allf["kind"], allf["pos"], strict=True
    ):
        what = (
            f"wage credits naming {int(v)} other workers"
            if kind == "names"
            else f"{int(v)} wage credits from one employer"
        )
        ev = txn_ids(data, pos, max_evidence)
        score = float(ramp(np.array([v]), min_count, min_count + 1)[0])
        if subject in ("account", "both"):
            rows.append((a, v, score, f"received {what} within {window_days} days", ev))
        if subject in ("employer", "both"):
            for e in np.unique(src[pos]):
                rows.append((e, v, score, f"paid {what} into one account {a}", ev))
    out = pd.DataFrame(
        rows, columns=["account_key", "value", "score", "reason", "evidence_txn_ids"]
    )
    out = best_per_account(out)
    return result(
        out["account_key"], out["value"], out["score"], out["reason"], out["evidence_txn_ids"]
    )


@indicator(
    "HT-17",
    "Whole wage withdrawn or forwarded within a day, pay period after pay period",
    hours=Param(24.0, float, min=1, max=24 * 7),
    min_share=Param(0.9, float, min=0, max=1),
    min_periods=Param(3, int, min=1, help="consecutive pay periods"),
    subject=Choice("worker", str, choices=("worker", "employer", "receiver", "linked")),
    min_workers=Param(1, int, min=1, help="employer/receiver: workers showing the pattern"),
    channels=Param(TRANSFERS, str),
    bill_purposes=_BILLS,
    max_evidence=Param(50, int, min=1),
    **_SALARY,
)
def wage_leaves_at_once(
    data: DetectionInput,
    hours: float,
    min_share: float,
    min_periods: int,
    subject: str,
    min_workers: int,
    channels: str,
    bill_purposes: str,
    max_evidence: int,
    salary_purposes: str,
) -> pd.DataFrame:
    """Workers of whose wage >= ``min_share`` leaves within ``hours``, in cash or to one
    counterparty, in >= ``min_periods`` consecutive pay periods; or the employers paying them,
    or the accounts receiving the money (the one counterparty, or whoever withdrew the cash),
    with ``subject`` employer, receiver or linked (both)."""
    wages, flows = _wage_flows(data, salary_purposes, hours / 24.0, channels, bill_purposes)
    if flows.empty:
        return empty_result()
    per = flows.groupby(["sid", "receiver"], as_index=False)["amount"].sum()
    per = per.sort_values(["sid", "amount"]).groupby("sid").tail(1)
    w = wages.merge(per, on="sid", how="left")
    w["ok"] = w["amount"].fillna(0) >= min_share * w["wage"]
    w = w.sort_values(["worker", "t"], ignore_index=True)
    new_run = (~w["ok"]) | (w["worker"] != w["worker"].shift())
    w["run"] = w.groupby(new_run.cumsum())["ok"].cumsum()
    longest = w.groupby("worker")["run"].max()
    flagged = longest.index[longest >= min_periods]
    w = w[w["worker"].isin(flagged) & w["ok"]]
    if w.empty:
        return empty_result()
    w = w.assign(receiver=w["receiver"].astype(np.int64))
    evidence = _evidence_rows(w, flows)
    if subject == "worker":
        pos = evidence.groupby("worker")["pos"].agg(list)
        n = longest.reindex(pos.index).to_numpy()
        return result(
            pos.index.to_numpy(),
            n,
            ramp(n, min_periods, min_periods + 3),
            [
                f"{min_share:.0%}+ of the wage left within {hours:g} h, in cash or to one "
                f"counterparty, {int(k)} pay periods in a row"
                for k in n
            ],
            [txn_ids(data, sorted(p), max_evidence) for p in pos],
        )
    what = f"{min_share:.0%}+ of the wage left within {hours:g} h, {min_periods}+ periods in a row"
    return _subject_rows(w, evidence, subject, what, min_workers, data, max_evidence)
