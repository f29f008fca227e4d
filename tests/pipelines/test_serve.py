"""`fiu serve` against a real Prefect server: schedules from the config, a run triggered now."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from fiu_analytics.errors import ConfigError
from pipelines.serve import check_schedules, local_server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_schedules_are_validated() -> None:
    ok = check_schedules({"detect": {"cron": "0 6 * * *", "timezone": "Europe/Vienna"}})
    assert ok == {"detect": {"cron": "0 6 * * *", "timezone": "Europe/Vienna"}}
    with pytest.raises(ConfigError, match=r"schedules\.nightly: unknown flow"):
        check_schedules({"nightly": {"cron": "0 6 * * *"}})
    with pytest.raises(ConfigError, match=r"schedules\.detect\.cron: '61"):
        check_schedules({"detect": {"cron": "61 * * * *"}})
    with pytest.raises(ConfigError, match="not an IANA time zone"):
        check_schedules({"detect": {"cron": "0 6 * * *", "timezone": "Mars/Olympus"}})


def test_serve_registers_the_schedule_and_runs_a_triggered_deployment(
    small_world, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    store, _ = small_world
    cfg = tmp_path / "fiu.yaml"
    out = tmp_path / "out"
    cfg.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(store.root),
                "out_dir": str(out),
                "schedules": {"detect": {"cron": "0 6 * * *", "timezone": "Europe/Vienna"}},
            }
        )
    )
    port = _free_port()
    with local_server(port=port) as api:
        env = {**os.environ, "PREFECT_API_URL": api}
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "--config", str(cfg), "serve"],
            env=env,
            cwd=tmp_path,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        old = os.environ.get("PREFECT_API_URL")
        os.environ["PREFECT_API_URL"] = api
        try:
            deadline = time.monotonic() + 240
            dep = None
            while dep is None:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "deployment never registered"
                with get_client(sync_client=True) as client:
                    try:
                        dep = client.read_deployment_by_name("fiu-detect/detect")
                    except Exception:
                        time.sleep(2)
            (sched,) = dep.schedules
            assert sched.schedule.cron == "0 6 * * *"
            assert sched.schedule.timezone == "Europe/Vienna"
            run = run_deployment("fiu-detect/detect", timeout=300, poll_interval=2)
            assert run.state is not None and run.state.is_completed(), run.state
            assert (out / "alerts.csv").exists() and (out / "summary.json").exists()
        finally:
            if old is None:
                os.environ.pop("PREFECT_API_URL", None)
            else:
                os.environ["PREFECT_API_URL"] = old
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
