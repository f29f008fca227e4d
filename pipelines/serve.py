"""``fiu serve``: run the flows on their schedules.

Schedules come from the config file (``schedules:``), each with a cron and a time zone::

    schedules:
      daily-monitoring: {cron: "0 6 * * *", timezone: "Europe/Vienna"}
      ingest:           {cron: "*/15 * * * *", timezone: "UTC"}
      retrain:          {cron: "0 2 1 * *", timezone: "UTC"}   # needs models_dir

The detect and daily-monitoring flows score with the models in ``models_dir`` when it is set;
the retrain flow trains the account model there on the store's labels (generator, research
formats or analyst feedback).

Without ``PREFECT_API_URL`` a local Prefect server is started (UI on http://127.0.0.1:4200),
announced, and stopped on exit; with it, the deployments go to that server (for a shared server
with PostgreSQL see docs/operations.md). Stopping ``serve`` pauses the schedules (Prefect's
default), so nothing runs while nobody serves them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fiu_analytics.errors import ConfigError

log = logging.getLogger(__name__)

FLOWS = ("daily-monitoring", "detect", "ingest", "retrain")


def check_schedules(schedules: Any) -> dict[str, dict[str, str]]:
    """Validate ``schedules`` from the config: known flow names, a cron, a time zone."""
    from prefect.schedules import validate_cron_string

    if not isinstance(schedules, dict) or not schedules:
        raise ConfigError(
            "config 'schedules' must map flow names to {cron, timezone}; expected "
            f"names among {list(FLOWS)}"
        )
    out = {}
    for name, spec in schedules.items():
        if name not in FLOWS:
            raise ConfigError(f"schedules.{name}: unknown flow; expected one of {list(FLOWS)}")
        if not isinstance(spec, dict) or "cron" not in spec:
            raise ConfigError(f"schedules.{name}: expected a mapping with 'cron' and 'timezone'")
        try:
            validate_cron_string(spec["cron"])
        except ValueError as exc:
            raise ConfigError(
                f"schedules.{name}.cron: {spec['cron']!r} is not a valid cron ({exc})"
            ) from None
        tz = spec.get("timezone", "UTC")
        try:
            import zoneinfo

            zoneinfo.ZoneInfo(tz)
        except Exception:
            raise ConfigError(
                f"schedules.{name}.timezone: {tz!r} is not an IANA time zone "
                "(e.g. Europe/Vienna, UTC)"
            ) from None
        out[name] = {"cron": spec["cron"], "timezone": tz}
    return out


def deployments(cfg: dict[str, Any]) -> list[Any]:
    """Prefect deployments for the configured schedules."""
    from prefect.schedules import Cron

    from pipelines.ingest import ingest_flow
    from pipelines.monitoring import daily_monitoring_flow, detect_flow, retrain_flow

    sched = check_schedules(cfg.get("schedules"))
    common = {"data_dir": str(cfg["data_dir"])}
    out = []
    for name, spec in sched.items():
        cron = Cron(spec["cron"], timezone=spec["timezone"])
        if name == "daily-monitoring":
            params = {
                **common,
                "out_dir": str(cfg["out_dir"]),
                "inbox": cfg.get("inbox"),
                "typologies_dir": str(cfg["typologies_dir"]),
                "profile": cfg["profile"],
                "models_dir": cfg.get("models_dir"),
            }
            out.append(
                daily_monitoring_flow.to_deployment(name=name, schedule=cron, parameters=params)
            )
        elif name == "detect":
            params = {
                **common,
                "out_dir": str(cfg["out_dir"]),
                "typologies_dir": str(cfg["typologies_dir"]),
                "profile": cfg["profile"],
                "models_dir": cfg.get("models_dir"),
            }
            out.append(detect_flow.to_deployment(name=name, schedule=cron, parameters=params))
        elif name == "retrain":
            if not cfg.get("models_dir"):
                raise ConfigError("schedules.retrain needs 'models_dir' (a folder) in the config")
            params = {
                **common,
                "models_dir": str(cfg["models_dir"]),
                "feedback_out_dir": str(cfg["out_dir"]),  # analysts' dispositions
            }
            out.append(retrain_flow.to_deployment(name=name, schedule=cron, parameters=params))
        else:
            if not cfg.get("inbox"):
                raise ConfigError("schedules.ingest needs 'inbox' (a folder) in the config")
            out.append(
                ingest_flow.to_deployment(
                    name=name, schedule=cron, parameters={**common, "inbox": str(cfg["inbox"])}
                )
            )
    return out


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def local_server(port: int = 4200, host: str = "127.0.0.1", timeout: float = 180) -> Iterator[str]:
    """Start ``prefect server start`` on ``host:port``; yield its API URL; stop it on exit."""
    api = f"http://{host}:{port}/api"
    if _healthy(api):
        raise ConfigError(
            f"something already answers on {api}; set PREFECT_API_URL to use it, or pass --port"
        )
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        t0 = time.monotonic()
        while not _healthy(api):
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
                raise ConfigError(f"the local Prefect server did not start: {err}")
            if time.monotonic() - t0 > timeout:
                raise ConfigError(f"the local Prefect server did not answer within {timeout} s")
            time.sleep(0.5)
        yield api
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def serve(cfg: dict[str, Any], port: int = 4200, limit: int | None = None) -> None:
    """Serve the configured schedules until interrupted."""
    deps = deployments(cfg)  # validate the config before starting anything
    Path(cfg["out_dir"]).mkdir(parents=True, exist_ok=True)
    if os.environ.get("PREFECT_API_URL"):
        print(
            f"fiu serve: using the Prefect server at {os.environ['PREFECT_API_URL']}",
            file=sys.stderr,
        )
        _serve(deps, limit)
        return
    with local_server(port) as api:
        print(
            f"fiu serve: started a local Prefect server, UI at {api.removesuffix('/api')} "
            "(stopped when this command exits)",
            file=sys.stderr,
        )
        os.environ["PREFECT_API_URL"] = api
        try:
            _serve(deps, limit)
        finally:
            os.environ.pop("PREFECT_API_URL", None)


def _serve(deps: list[Any], limit: int | None) -> None:
    from prefect import serve as prefect_serve

    for d in deps:
        sched = d.schedules[0].schedule if d.schedules else None
        print(
            f"fiu serve: deployment {d.flow_name}/{d.name} cron {getattr(sched, 'cron', '?')}"
            f" {getattr(sched, 'timezone', '')}",
            file=sys.stderr,
        )
    prefect_serve(*deps, limit=limit, print_starting_message=False)
