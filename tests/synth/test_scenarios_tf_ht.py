"""Trafficking and terrorism-financing scenarios: each one shows the behaviour it is named for.

Every test builds small worlds holding only the scenario under test (two instances per world)
and checks the defining property on the emitted transactions, roles and parties.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fiu_analytics.synth import SCENARIOS, SynthConfig, build_world
from fiu_analytics.synth.world import countries_with

DAY_US = 86_400 * 1_000_000
CODES = ("HTFL", "MS", "KFR", "NX-06", "TF-small", "NPO", "hawala", "designated", "NX-04")
CONFLICT = set(countries_with("conflict_adjacent"))
# channels that normal behaviour also uses: a scenario-only channel would give labels away
NORMAL_CHANNELS = {
    "wire",
    "mobile_money",
    "msb_remittance",
    "cash_deposit",
    "cash_withdrawal",
    "card",
}


class W:
    """One built world, as frames: scenario transactions with stages, roles, parties."""

    def __init__(self, code: str, seed: int) -> None:
        cfg = SynthConfig(
            seed=seed, n_persons=400, days=92, scenarios_per_typology=0, scenario_mix={code: 2}
        )
        world, ev, labels, roles = build_world(cfg)
        self.world = world
        tx = pd.DataFrame({c: np.asarray(ev.column(c)) for c in ("src", "dst", "ts", "amount")})
        for c in ("channel", "narrative", "city", "purpose_code", "src_country", "dst_country"):
            tx[c] = ev.column(c).to_pandas()
        tx["label"] = np.asarray(ev.column("label"))
        tx["conductor"] = np.asarray(ev.column("conductor"))
        lab = np.array(labels, dtype=object).reshape(-1, 3)
        tx["sid"] = lab[tx["label"], 0]
        tx["stage"] = lab[tx["label"], 2]
        self.tx = tx.sort_values("ts", ignore_index=True)
        self.roles = pd.DataFrame(roles, columns=["sid", "typology", "acc", "role", "core"])

    def party(self, acc: int) -> dict[str, Any]:
        return self.world.parties[self.world.acc_party[acc]]

    def accs(self, sid: str, role: str) -> list[int]:
        r = self.roles
        return [int(a) for a in r.loc[(r["sid"] == sid) & (r["role"] == role), "acc"]]

    def one(self, sid: str, role: str) -> int:
        accs = self.accs(sid, role)
        assert len(accs) == 1, (sid, role, accs)
        return accs[0]

    def is_core(self, sid: str, acc: int) -> bool:
        r = self.roles
        return bool(r.loc[(r["sid"] == sid) & (r["acc"] == acc), "core"].any())

    def sids(self) -> list[str]:
        return sorted(self.roles["sid"].unique())

    def scen(self, sid: str) -> pd.DataFrame:
        return self.tx[self.tx["sid"] == sid]


@cache
def world(code: str, seed: int = 1) -> W:
    return W(code, seed)


def surname(name: str) -> str:
    return name.split()[-1]


def tokens(name: str) -> set[str]:
    """Lower-case name tokens without Arabic article prefixes (al-, el-)."""
    out = set()
    for tok in re.split(r"[\s\-]+", name.lower()):
        if tok and tok not in {"al", "el"}:
            out.add(tok)
    return out


def listed_names(w: W) -> set[str]:
    recs = w.world.rel["designated"]
    return {n.casefold() for r in recs for n in (r.primary_name, *(a for a, _ in r.aliases))}


def record_for(w: W, acc: int):
    """The list record whose variant spelling the party of ``acc`` uses (None if none)."""
    name = w.party(acc)["name"]
    hits = [r for r in w.world.rel["designated"] if r.variant == name]
    return hits[0] if hits else None


def payers_first_30d(tx: pd.DataFrame, node: int) -> int:
    """Distinct accounts paying ``node`` in the 30 days from its first receipt."""
    ins = tx[(tx["dst"] == node) & (tx["src"] != node)]
    first = ins["ts"].min()
    return ins.loc[ins["ts"] < first + 30 * DAY_US, "src"].nunique()


# -- every scenario ---------------------------------------------------------------------------
@pytest.mark.parametrize("code", CODES)
def test_scenario_is_registered_labelled_and_bounded(code: str) -> None:
    spec = SCENARIOS[code]
    assert spec.duration_days <= 80 and spec.indicators
    w = world(code)
    assert len(w.sids()) == 2
    for sid in w.sids():
        r = w.roles[w.roles["sid"] == sid]
        tx = w.scen(sid)
        assert r["core"].any(), f"{sid}: no core account"
        # victims, mules and families are never the analytic target
        assert not r.loc[r["role"].isin(["victim", "family", "family_payer", "mule"]), "core"].any()
        assert 3 <= len(tx) <= 600, (sid, len(tx))
        assert tx["stage"].notna().all() and (tx["amount"] > 0).all()
        # all activity fits in the scenario's duration and inside the generated period
        assert tx["ts"].max() - tx["ts"].min() <= spec.duration_days * DAY_US
        end = w.world.start + pd.Timedelta(days=92)
        assert pd.Timestamp(int(tx["ts"].max()), unit="us", tz="UTC") < end
        assert set(tx["channel"]) <= NORMAL_CHANNELS
        # money never starts abroad: normal traffic has no inbound or foreign-to-foreign flows
        assert (tx["src_country"] == w.world.home).all()


@pytest.mark.parametrize("code", CODES)
def test_names_and_narratives_do_not_leak_labels(code: str) -> None:
    w = world(code)
    accs = set(w.roles["acc"])
    text = " ".join(w.party(a)["name"] for a in accs) + " " + " ".join(w.tx["narrative"].dropna())
    for bad in (code, "SC-", *SCENARIOS):
        assert not re.search(rf"(?<![\w@]){re.escape(bad)}(?!\w)", text), bad


# -- HTFL ---------------------------------------------------------------------------------------
def test_forced_labour_wages_come_back_or_are_pooled() -> None:
    seen = {"returned": 0, "pooled": 0}
    for seed in range(1, 5):
        w = world("HTFL", seed)
        for sid in w.sids():
            tx = w.scen(sid)
            front = w.one(sid, "front_company")
            controller = w.one(sid, "controller")
            assert w.party(front)["entity_kind"] == "employer" and w.is_core(sid, front)
            assert w.party(front)["phone"] == w.party(controller)["phone"]
            # the front pays nothing but wages (no rent, tax or suppliers: HT-09, HT-14)
            paid_out = tx[(tx["src"] == front) & (tx["dst"] != front)]
            assert len(paid_out) and (paid_out["purpose_code"] == "SALA").all()
            takers = {controller, *w.accs(sid, "collector")}
            workers = w.accs(sid, "victim")
            if workers:
                assert len({w.party(v)["address"] for v in workers}) == 1  # one dorm (HT-12)
            returned_periods = 0
            for v in workers:
                wages = tx[(tx["src"] == front) & (tx["dst"] == v)]
                assert len(wages) >= 2
                for _, wage in wages.iterrows():
                    later = tx[
                        (tx["src"] == v)
                        & (tx["ts"] > wage["ts"])
                        & (tx["ts"] <= wage["ts"] + 3 * DAY_US)
                        & (tx["dst"].isin(takers) | (tx["channel"] == "cash_withdrawal"))
                    ]
                    # >= 50% of the wage goes back within 3 days (HT-15, HT-17)
                    assert later["amount"].sum() >= 0.5 * wage["amount"]
                    returned_periods += 1
            seen["returned"] += returned_periods > 0
            # several workers' wages into one account a third party holds (HT-16)
            pooled = tx[(tx["src"] == front) & tx["narrative"].str.startswith("Payroll ", na=False)]
            if len(pooled):
                assert pooled["dst"].nunique() == 1
                holder = int(pooled["dst"].iloc[0])
                assert holder in w.accs(sid, "collector") and w.is_core(sid, holder)
                day = pooled["ts"] // DAY_US
                # three or more workers' names on the wage credits of one pay day
                assert pooled.groupby(day)["narrative"].nunique().min() >= 3
                seen["pooled"] += 1
    assert seen["returned"] and seen["pooled"], seen


# -- MS -----------------------------------------------------------------------------------------
def test_smuggling_fees_converge_on_a_hub_from_many_cities() -> None:
    hubs = {
        "El Paso",
        "Laredo",
        "McAllen",
        "Tijuana",
        "Ciudad Juarez",
        "Nuevo Laredo",
        "Istanbul",
        "Gaziantep",
        "Hatay",
        "Agadez",
        "Niamey",
        "Sabha",
        "Tripoli",
    }
    variants = set()
    for seed in (1, 2, 3):
        w = world("MS", seed)
        for sid in w.sids():
            tx = w.scen(sid)
            ben = w.one(sid, "beneficiary")
            assert w.is_core(sid, ben)
            country = w.world.acc_country[ben]
            assert country in {"US", "MX", "TR", "NE", "LY"}
            assert w.world.acc_city[ben] in hubs
            fees = tx[(tx["dst"] == ben) & (tx["channel"] != "cash_withdrawal")]
            assert (fees["stage"] == "collection").all()
            assert (fees["amount"] < 3000).all()  # under the record-keeping threshold
            payer_party = np.where(
                fees["channel"] == "cash_deposit",
                fees["conductor"],
                [w.world.acc_party[a] for a in fees["src"]],
            )
            assert len(set(payer_party)) >= 5
            assert fees["city"].nunique() >= 3  # from several origin regions
            senders = w.accs(sid, "sender")
            assert senders and not any(w.is_core(sid, s) for s in senders)
            variants.add(country == "US")
            if country == "US":  # onward to a hawala or exchange house abroad
                onward = tx[(tx["src"] == ben) & (tx["stage"] == "settlement")]
                assert len(onward) >= 1
                dst = set(onward["dst"])
                assert all(w.party(d)["entity_kind"] in {"hawala", "exchange_house"} for d in dst)
                assert all(w.world.acc_country[d] != "US" for d in dst)
                assert onward["amount"].sum() <= fees["amount"].sum()
    assert variants == {True, False}


# -- KFR ----------------------------------------------------------------------------------------
def test_ransom_families_pool_then_pay_one_unrelated_intermediary() -> None:
    multi_family = 0
    for seed in (1, 2, 3):
        w = world("KFR", seed)
        for sid in w.sids():
            tx = w.scen(sid)
            inters = w.accs(sid, "intermediary")
            assert inters and all(w.is_core(sid, i) for i in inters)
            abroad = [i for i in inters if w.world.acc_country[i] != "US"]
            assert len(abroad) == 1 and w.world.acc_country[abroad[0]] in CONFLICT | {"TR"}
            payers = w.accs(sid, "family_payer")
            assert payers and not any(w.is_core(sid, p) for p in payers)
            first_hop = set()
            for payer in payers:
                pp = w.party(payer)
                pooled = tx[(tx["dst"] == payer) & (tx["stage"] == "collection")]
                members = {
                    int(c) if ch == "cash_deposit" else w.world.acc_party[int(s)]
                    for s, c, ch in zip(
                        pooled["src"], pooled["conductor"], pooled["channel"], strict=True
                    )
                }
                assert len(members) >= 3
                for m in members:
                    mp = w.world.parties[m]
                    assert surname(mp["name"]) == surname(pp["name"])
                    assert mp["address"] == pp["address"] or mp["phone"] == pp["phone"]
                assert pooled["ts"].max() - pooled["ts"].min() <= 14 * DAY_US
                sent = tx[(tx["src"] == payer) & (tx["stage"] == "transfer")]
                assert 1 <= len(sent) <= 3
                assert (sent["amount"] >= 3000).all()
                assert sent["ts"].min() > pooled["ts"].max()
                assert set(sent["dst"]) <= set(inters)
                first_hop |= set(sent["dst"])
                # unrelated: the intermediary does not share the family's name or contacts
                ip = w.party(abroad[0])
                assert surname(ip["name"]) != surname(pp["name"])
                assert ip["phone"] != pp["phone"] and ip["address"] != pp["address"]
            # one intermediary (network) is paid by every family of the scenario
            assert len(first_hop) == 1
            multi_family += len(payers) >= 2
    assert multi_family >= 1


# -- NX-06 --------------------------------------------------------------------------------------
def test_victim_accounts_pass_funds_to_tf_endpoints_within_48h() -> None:
    kinds = set()
    for seed in (1, 2, 3):
        w = world("NX-06", seed)
        variants = {r.variant for r in w.world.rel["designated"]}
        for sid in w.sids():
            tx = w.scen(sid)
            controller = w.one(sid, "controller")
            cp = w.party(controller)
            mules = w.accs(sid, "mule")
            assert len(mules) >= 3
            # one address, and the controller's device runs every mule's banking (HT-13)
            assert len({w.party(m)["address"] for m in mules}) == 1
            assert all(w.party(m)["device_id"] == cp["device_id"] for m in mules)
            endpoints = w.accs(sid, "endpoint")
            assert endpoints and all(w.is_core(sid, e) for e in endpoints)
            for e in endpoints:
                p = w.party(e)
                if p["name"] in variants:
                    kinds.add("designated")
                elif p["entity_kind"] in {"exchange_house", "hawala"}:
                    kinds.add("hawala")
                    assert w.world.acc_country[e] != "US"
                else:
                    assert w.world.acc_country[e] in CONFLICT
                    kinds.add("conflict")
            for m in mules:
                ins = tx[(tx["dst"] == m) & (tx["stage"] == "placement")]
                outs = tx[(tx["src"] == m) & tx["dst"].isin(endpoints)]
                assert len(ins) >= 1
                for _, row in ins.iterrows():
                    window = outs[(outs["ts"] > row["ts"]) & (outs["ts"] <= row["ts"] + 2 * DAY_US)]
                    assert window["amount"].sum() >= 0.8 * row["amount"]
                cash = ins[ins["channel"] == "cash_deposit"]
                assert (cash["conductor"] == w.world.acc_party[controller]).all()
    assert len(kinds) >= 2


# -- TF-small -----------------------------------------------------------------------------------
def test_small_transfers_and_crowdfunding() -> None:
    seen = set()
    for seed in range(1, 5):
        w = world("TF-small", seed)
        for sid in w.sids():
            tx = w.scen(sid)
            donors = w.accs(sid, "donor")
            if donors:  # TF-04
                seen.add("TF-04")
                collector = w.one(sid, "collector")
                gifts = tx[(tx["dst"] == collector) & (tx["stage"] == "donation")]
                assert gifts["src"].nunique() >= 20
                assert gifts["ts"].max() - gifts["ts"].min() <= 30 * DAY_US
                handles = gifts["narrative"].str.extract(r"(@\w+)")[0].dropna()
                assert len(handles) >= 0.5 * len(gifts) and handles.nunique() == 1
                out = tx[tx["src"] == collector]
                assert out["ts"].min() > gifts["ts"].min()
                assert out["ts"].max() <= gifts["ts"].max() + 7 * DAY_US
                assert out["amount"].sum() >= 0.8 * gifts["amount"].sum()
                assert (out["dst_country"] != "US").all()
                assert not any(w.is_core(sid, d) for d in donors)
            else:  # TF-01
                seen.add("TF-01")
                senders = w.accs(sid, "sender")
                assert len(senders) >= 3 and all(w.is_core(sid, s) for s in senders)
                sent = tx[tx["src"].isin(senders)]
                assert sent["amount"].between(200, 3000).all()
                assert set(sent["dst_country"]) <= CONFLICT
                assert (sent.groupby("src").size() >= 3).all()
                assert sent["dst"].nunique() <= 2  # the same beneficiary (or its agent)
                assert set(sent["channel"]) <= {"msb_remittance", "wire"}
    assert seen == {"TF-01", "TF-04"}


# -- NPO ----------------------------------------------------------------------------------------
def test_npo_surges_pays_out_by_mvts_and_its_controller_is_linked_to_a_listed_person() -> None:
    for seed in (1, 2):
        w = world("NPO", seed)
        names = listed_names(w)
        for sid in w.sids():
            tx = w.scen(sid)
            npo = w.one(sid, "npo")
            controller = w.one(sid, "controller")
            assert w.party(npo)["entity_kind"] == "npo" and w.is_core(sid, npo)
            inflow = tx[tx["dst"] == npo]
            outflow = tx[tx["src"] == npo]
            cash_share = inflow.loc[inflow["channel"] == "cash_deposit", "amount"].sum() / (
                inflow["amount"].sum()
            )
            mvts = outflow[(outflow["channel"] == "msb_remittance")]
            assert cash_share > 0.5 or mvts["dst_country"].isin(CONFLICT | {"TR"}).any()
            # sudden surge: daily inflow after the first third is several times the start
            t0, t1 = tx["ts"].min(), tx["ts"].max()
            cut = t0 + (t1 - t0) / 3
            early = inflow.loc[inflow["ts"] < cut, "amount"].sum() / max(cut - t0, 1)
            late = inflow.loc[inflow["ts"] >= cut, "amount"].sum() / max(t1 - cut, 1)
            assert late >= 3 * early
            # payees unrelated to a charity's purpose: individuals and traders abroad
            payees = set(outflow.loc[outflow["dst_country"] != "US", "dst"])
            assert payees
            # the controller runs the NPO and is linked to a listed party (SAN-02)
            assert w.party(npo)["phone"] == w.party(controller)["phone"]
            listed = w.one(sid, "designated")
            assert w.party(listed)["name"].casefold() not in names
            paid = ((tx["src"] == controller) & (tx["dst"] == listed)).any()
            assert paid or w.party(listed)["phone"] == w.party(controller)["phone"]


# -- hawala -------------------------------------------------------------------------------------
def test_hawala_node_has_many_counterparties_balances_and_settles_abroad() -> None:
    for seed in (1, 2):
        w = world("hawala", seed)
        for sid in w.sids():
            tx = w.scen(sid)
            node = w.one(sid, "hawala_operator")
            assert w.is_core(sid, node)
            assert w.party(node)["entity_kind"] in {None, "company"}  # no MVTS licence
            assert payers_first_30d(tx, node) >= 30
            total_in = tx.loc[tx["dst"] == node, "amount"].sum()
            total_out = tx.loc[tx["src"] == node, "amount"].sum()
            assert 0.8 <= total_out / total_in <= 1.1
            settle = tx[(tx["src"] == node) & (tx["stage"] == "settlement")]
            assert len(settle) >= 2 and (settle["amount"] >= 3000).all()
            assert (settle["dst_country"] != "US").all()
            kinds = {w.party(d)["entity_kind"] for d in settle["dst"]}
            assert kinds <= {"company", "exchange_house"}
            # customers pay small sums: the settlement is what is large
            ins = tx.loc[tx["dst"] == node, "amount"]
            assert ins.median() < 0.2 * settle["amount"].median()


# -- designated ---------------------------------------------------------------------------------
def test_designated_party_uses_a_variant_name_with_corroborating_details() -> None:
    for seed in (1, 2, 3):
        w = world("designated", seed)
        names = listed_names(w)
        for sid in w.sids():
            tx = w.scen(sid)
            listed = w.one(sid, "designated")
            p = w.party(listed)
            rec = record_for(w, listed)
            assert rec is not None
            assert p["name"].casefold() not in names  # no exact string match
            assert tokens(p["name"]) & tokens(rec.primary_name)  # but a fuzzy one
            if rec.record_type == "individual":
                assert p["nationality"] == rec.nationality_code
                if rec.birth_date:
                    assert str(p["birth_date"]) == rec.birth_date
                else:
                    lo, hi = rec.birth_year_range
                    assert lo <= p["birth_date"].year <= hi
            # SAN-02: one hop away, every associate pays or is paid by the listed party
            for a in w.accs(sid, "associate"):
                assert w.is_core(sid, a)
                hop = ((tx["src"] == a) & (tx["dst"] == listed)) | (
                    (tx["src"] == listed) & (tx["dst"] == a)
                )
                assert hop.any()
            assert (tx["dst"] == listed).any()


# -- NX-04 --------------------------------------------------------------------------------------
def test_nexus_path_from_victims_to_a_tf_endpoint_within_90_days() -> None:
    kinds = set()
    for seed in (1, 2, 3, 4):
        w = world("NX-04", seed)
        variants = {r.variant for r in w.world.rel["designated"]}
        for sid in w.sids():
            tx = w.scen(sid)
            controller = w.one(sid, "controller")
            inters = w.accs(sid, "intermediary")
            endpoint = w.one(sid, "endpoint")
            victims = w.accs(sid, "victim")
            for a in (controller, endpoint, *inters):
                assert w.is_core(sid, a)
            # trafficking-proceeds profile: collections from several victims who share a home
            collected = tx[(tx["dst"] == controller) & tx["src"].isin(victims)]
            assert collected["src"].nunique() >= 2
            assert len({w.party(v)["address"] for v in victims}) == 1
            # the path victim -> controller -> intermediary -> endpoint, in time order
            found = False
            for i in inters:
                hop1 = tx[(tx["src"] == controller) & (tx["dst"] == i)]
                hop2 = tx[(tx["src"] == i) & (tx["dst"] == endpoint)]
                for t1 in hop1["ts"]:
                    before = collected[collected["ts"] < t1]
                    after = hop2[hop2["ts"] > t1]
                    if len(before) and len(after):
                        assert after["ts"].min() - before["ts"].min() <= 90 * DAY_US
                        found = True
            assert found, sid
            assert set(tx.loc[tx["src"] == controller, "stage"]) >= {"layering"}
            # the endpoint carries a TF flag
            p = w.party(endpoint)
            if p["name"] in variants:
                kinds.add("designated")
            elif p["entity_kind"] == "npo":
                kinds.add("npo")
                out = tx[tx["src"] == endpoint]
                assert (out["dst_country"] != "US").any()
            elif w.world.acc_country[endpoint] != "US":
                assert w.world.acc_country[endpoint] in CONFLICT
                kinds.add("conflict")
            else:
                kinds.add("hawala")
                assert payers_first_30d(tx, endpoint) >= 30
    assert len(kinds) >= 3, kinds
