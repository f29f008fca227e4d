"""Orchestrates the synthetic world: population, designated list, scenarios, then normal
behaviour window by window, written straight into the store.

Memory stays bounded: only one time window of transactions (at most ``chunk_rows`` expected
rows) is held at once; the population and the scenarios' own rows are small.
Determinism: every random stream derives from ``seed`` (population, each scenario, each window),
so the same configuration gives byte-identical tables.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fiu_analytics import schema
from fiu_analytics.errors import ConfigError
from fiu_analytics.store import Store
from fiu_analytics.synth.designations import (
    build_designated_list,
    designations_frame,
    write_un_xml,
)
from fiu_analytics.synth.events import Events
from fiu_analytics.synth.normal import normal_events
from fiu_analytics.synth.population import build_population, extend_with_light_lives
from fiu_analytics.synth.scenarios import SCENARIOS, ScenarioContext
from fiu_analytics.synth.world import World

log = logging.getLogger(__name__)
DAY_US = 86_400 * 1_000_000
# expected transactions per person per 30 days in normal behaviour (measured, see docs)
RATE_PER_PERSON_30D = 24.0


@dataclass
class SynthConfig:
    """Size and mix of a synthetic world. Use :meth:`preset` for named sizes."""

    seed: int = 7
    n_persons: int = 1500
    start: str = "2025-01-01"
    days: int = 120
    scenarios_per_typology: int = 3
    scenario_mix: dict[str, int] = field(default_factory=dict)
    """Overrides per typology code, e.g. ``{"NX-04": 10, "HTSE": 0}``."""
    chunk_rows: int = 600_000

    PRESETS: ClassVar[dict[str, dict[str, int]]] = {
        "sample": {"n_persons": 900, "days": 92, "scenarios_per_typology": 3},
        "small": {"n_persons": 3000, "days": 120, "scenarios_per_typology": 5},
        "1m": {"n_persons": 7000, "days": 180, "scenarios_per_typology": 20},
        "3m": {"n_persons": 21000, "days": 180, "scenarios_per_typology": 40},
        "10m": {"n_persons": 56000, "days": 225, "scenarios_per_typology": 80},
        "clean": {"n_persons": 3000, "days": 120, "scenarios_per_typology": 0},
    }

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> SynthConfig:
        if name not in cls.PRESETS:
            raise ConfigError(f"unknown preset '{name}'; expected one of {sorted(cls.PRESETS)}")
        return cls(**{**cls.PRESETS[name], **overrides})

    def counts(self) -> dict[str, int]:
        unknown = set(self.scenario_mix) - set(SCENARIOS)
        if unknown:
            raise ConfigError(
                f"scenario_mix names unknown typologies {sorted(unknown)}; "
                f"expected codes from {sorted(SCENARIOS)}"
            )
        return {t: self.scenario_mix.get(t, self.scenarios_per_typology) for t in SCENARIOS}

    def validate(self) -> None:
        if self.n_persons < 200:
            raise ConfigError(f"n_persons={self.n_persons}: at least 200 are needed")
        if self.days < 45:
            raise ConfigError(f"days={self.days}: at least 45 are needed for scenarios")


@dataclass
class GenerationResult:
    transactions: int
    accounts: int
    parties: int
    scenarios: int
    label_rows: int
    seconds: float
    batch_id: str
    files: dict[str, str]


def _windows(cfg: SynthConfig) -> Iterator[tuple[int, int]]:
    """Time windows: calendar months, split further if a month would exceed ``chunk_rows``."""
    start = pd.Timestamp(cfg.start, tz="UTC")
    end = start + pd.Timedelta(days=cfg.days)
    per_day = cfg.n_persons * RATE_PER_PERSON_30D / 30
    max_days = max(1, int(cfg.chunk_rows // max(per_day, 1)))
    t = start
    while t < end:
        month_end = (t + pd.offsets.MonthBegin(1)).normalize()
        w_end = min(month_end, end, t + pd.Timedelta(days=max_days))
        yield int(t.value // 1000), int(w_end.value // 1000)
        t = w_end


def build_world(cfg: SynthConfig) -> tuple[World, Events, list[tuple[str, str, str]], list]:
    """Population, designated list and scenarios (everything but normal transactions)."""
    cfg.validate()
    ss = np.random.SeedSequence(cfg.seed)
    pop_seed, list_seed, scen_seed, _ = ss.spawn(4)
    world = World(np.random.default_rng(pop_seed), pd.Timestamp(cfg.start, tz="UTC"))
    build_population(world, cfg.n_persons)
    world.rel["designated"] = build_designated_list(np.random.default_rng(list_seed))
    events = Events()
    txn_labels: list[tuple[str, str, str]] = []
    roles: list[tuple[str, str, int, str, bool]] = []
    start_us = int(world.start.value // 1000)
    seeds = iter(scen_seed.spawn(sum(cfg.counts().values()) or 1))
    for typology, count in cfg.counts().items():
        spec = SCENARIOS[typology]
        for k in range(count):
            rng = np.random.default_rng(next(seeds))
            latest = max(0, cfg.days - spec.duration_days - 1)
            day0 = int(rng.integers(0, latest + 1))
            ctx = ScenarioContext(
                world,
                rng,
                f"SC-{typology}-{k + 1:03d}",
                typology,
                start_us + day0 * DAY_US,
                events,
                txn_labels,
            )
            spec.func(ctx)
            roles.extend(ctx.roles)
    extend_with_light_lives(world)
    world.finalize()
    return world, events, txn_labels, roles


def _events_table(world: World, ev: Events) -> pa.Table:
    cols = {n: ev.column(n) for n in ("src", "dst", "ts", "amount", "label", "conductor")}
    strings = {
        n: ev.column(n)
        for n in (
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
    }
    return pa.table({**{k: pa.array(v) for k, v in cols.items()}, **strings})


def _to_transactions(world: World, tbl: pa.Table, window_no: int, t0: int) -> pa.Table:
    """Sort a window's events by time and map them to the canonical transactions table."""
    assert world.account_key is not None
    tbl = tbl.sort_by([("ts", "ascending"), ("src", "ascending"), ("amount", "ascending")])
    n = len(tbl)
    month = pd.Timestamp(t0, unit="us").strftime("%Y%m")
    seq = np.arange(n)
    txn_id = pc.binary_join_element_wise(
        pa.array(np.full(n, f"T{month}W{window_no:03d}")),
        pc.utf8_lpad(pa.array(seq.astype(str)), 7, "0"),
        "-",
    )
    src = np.asarray(tbl.column("src"))
    dst = np.asarray(tbl.column("dst"))
    inst_code = np.array([i.code for i in world.institutions])
    inst_reporting = np.array([i.reporting for i in world.institutions])
    acc_inst = np.asarray(world.acc_inst)
    src_inst, dst_inst = acc_inst[src], acc_inst[dst]
    reporter = np.where(inst_reporting[src_inst], inst_code[src_inst], inst_code[dst_inst])
    given = tbl.column("reporter_id")
    reporter_arr = pc.if_else(pc.is_null(given), pa.array(reporter), given)
    report_id = pc.binary_join_element_wise(reporter_arr, pa.array(np.full(n, month)), "-")
    cond = np.asarray(tbl.column("conductor"))
    conductor = pa.array(
        np.where(cond >= 0, world.party_ids[np.maximum(cond, 0)], None), pa.string(), mask=cond < 0
    )
    amount = tbl.column("amount")
    return pa.table(
        {
            "txn_id": txn_id,
            "timestamp": pa.array(np.asarray(tbl.column("ts")), pa.timestamp("us", tz="UTC")),
            "amount": amount,
            "currency": pa.array(np.full(n, "USD")),
            "amount_base": amount,
            "channel": tbl.column("channel"),
            "src_account_key": pa.array(world.account_key[src]),
            "dst_account_key": pa.array(world.account_key[dst]),
            "src_country": tbl.column("src_country"),
            "dst_country": tbl.column("dst_country"),
            "city": tbl.column("city"),
            "mcc": tbl.column("mcc"),
            "merchant": tbl.column("merchant"),
            "narrative": tbl.column("narrative"),
            "purpose_code": tbl.column("purpose_code"),
            "conductor_party_id": conductor,
            "reporter_id": reporter_arr,
            "report_id": report_id,
            "label": tbl.column("label"),
        }
    )


ChunkSink = Callable[[World, pa.Table], None]


def generate(
    cfg: SynthConfig,
    store: Store,
    list_path: Path | None = None,
    sinks: list[ChunkSink] | None = None,
    progress: Callable[[int], None] | None = None,
) -> GenerationResult:
    """Generate a world into ``store`` (one batch). ``sinks`` receive each window's canonical
    transactions (for real-format exports); ``list_path`` receives the UN-format list."""
    t_start = time.perf_counter()
    world, scen_events, txn_labels, roles = build_world(cfg)
    scen_tbl = _events_table(world, scen_events)
    label_arr = np.array(txn_labels, dtype=object).reshape(-1, 3)
    n_txn = 0
    label_frames: list[pd.DataFrame] = []
    files: dict[str, str] = {}
    with store.batch(source=f"fiu generate {asdict_short(cfg)}") as batch:
        batch.write(schema.PARTIES, world.parties_frame())
        batch.write(schema.ACCOUNTS, world.accounts_frame())
        batch.write(schema.PROFILES, world.profiles_frame())
        designated = world.rel["designated"]
        batch.write(schema.DESIGNATIONS, designations_frame(designated))
        if list_path is not None:
            write_un_xml(designated, list_path, generated=f"{cfg.start}T00:00:00Z")
            files["designated_list"] = str(list_path)
        ts_all = np.asarray(scen_tbl.column("ts"))
        for w, (t0, t1) in enumerate(_windows(cfg)):
            rng = np.random.default_rng([cfg.seed, 1_000 + w])
            normal = _events_table(world, normal_events(world, t0, t1, rng))
            mask = (ts_all >= t0) & (ts_all < t1)
            tbl = pa.concat_tables([normal, scen_tbl.filter(pa.array(mask))])
            txns = _to_transactions(world, tbl, w, t0)
            lab = np.asarray(txns.column("label"))
            hit = np.flatnonzero(lab >= 0)
            if len(hit):
                rows = label_arr[lab[hit]]
                label_frames.append(
                    pd.DataFrame(
                        {
                            "scenario_id": rows[:, 0],
                            "typology": rows[:, 1],
                            "stage": rows[:, 2],
                            "txn_id": np.asarray(txns.column("txn_id").take(pa.array(hit))),
                        }
                    )
                )
            txns = txns.drop_columns(["label"])
            batch.write(schema.TRANSACTIONS, txns)
            for sink in sinks or []:
                sink(world, txns)
            n_txn += len(txns)
            if progress:
                progress(len(txns))
        assert world.account_key is not None
        role_df = pd.DataFrame(roles, columns=["scenario_id", "typology", "acc", "role", "is_core"])
        role_df["account_key"] = world.account_key[role_df["acc"].to_numpy(dtype=np.int64)]
        labels = pd.concat([role_df.drop(columns="acc"), *label_frames], ignore_index=True)
        labels["source"] = "synthetic"
        batch.write(schema.LABELS, labels)
        batch.counts = {
            "stored": {"transactions": n_txn},
            "quarantined": 0,
            "duplicates": 0,
            "config": asdict_short(cfg),
        }
    return GenerationResult(
        transactions=n_txn,
        accounts=world.n_accounts,
        parties=len(world.parties),
        scenarios=int(role_df["scenario_id"].nunique()) if len(role_df) else 0,
        label_rows=len(labels),
        seconds=time.perf_counter() - t_start,
        batch_id=batch.batch_id,
        files=files,
    )


def asdict_short(cfg: SynthConfig) -> dict[str, Any]:
    d = asdict(cfg)
    d.pop("chunk_rows", None)
    return d
