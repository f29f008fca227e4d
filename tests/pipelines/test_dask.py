"""Detection on a real (local) Dask cluster gives exactly the alerts of one process."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fiu_analytics.detection import detect, load_catalog
from fiu_analytics.detection.inputs import load_detection_input
from fiu_analytics.detection.partition import detect_partitioned, partition_of
from tests.conftest import REPO


def _canon(alerts: pd.DataFrame) -> pd.DataFrame:
    a = alerts.sort_values("alert_id").reset_index(drop=True)
    return a.assign(evidence_txn_ids=a["evidence_txn_ids"].map(sorted))[
        [
            "alert_id",
            "typology_id",
            "subject_account_key",
            "score",
            "indicators",
            "evidence_txn_ids",
            "path",
        ]
    ]


def test_partition_hash_is_stable_and_spread() -> None:
    keys = pd.Series(range(1, 10_001)).to_numpy()
    parts = partition_of(keys, 4)
    assert set(parts) == {0, 1, 2, 3}
    assert pd.Series(parts).value_counts().min() > 2000
    assert (partition_of(keys, 4) == parts).all()


@pytest.mark.parametrize("n", [1, 3, 7])
def test_partitioned_detection_equals_single_process(small_world, n: int) -> None:
    store, _ = small_world
    catalog = load_catalog(REPO / "typologies")
    single = detect(load_detection_input(store), catalog)
    parted = detect_partitioned(load_detection_input(store), catalog, n)
    pd.testing.assert_frame_equal(_canon(single), _canon(parted))


def test_detect_flow_on_a_local_dask_cluster_matches_single_process(
    small_world, tmp_path: Path
) -> None:
    from distributed import LocalCluster

    from pipelines.monitoring import detect_flow, with_dask

    store, _ = small_world
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        dask_summary = with_dask(detect_flow, cluster.scheduler_address)(
            data_dir=str(store.root), out_dir=str(tmp_path / "dask"), partitions=4
        )
    single_summary = detect_flow(data_dir=str(store.root), out_dir=str(tmp_path / "one"))
    a = pd.read_csv(tmp_path / "dask" / "alerts.csv")
    b = pd.read_csv(tmp_path / "one" / "alerts.csv")
    cols = ["alert_id", "typology_id", "subject", "score", "indicators", "evidence_txn_ids"]
    pd.testing.assert_frame_equal(
        a.sort_values("alert_id")[cols].reset_index(drop=True),
        b.sort_values("alert_id")[cols].reset_index(drop=True),
    )
    assert dask_summary["alerts"] == single_summary["alerts"] > 0
