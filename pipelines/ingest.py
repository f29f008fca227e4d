"""The ingest flow: pick up new files from an inbox, ingest each, move it to processed/rejected.

A task per file, retried on transient IO errors (``OSError``) only; bad content is not
transient and is not retried. A file that fails as a whole (unreadable, malformed) goes to
``rejected/`` with a ``.reason.txt`` beside it; a file whose records were partly quarantined is
still processed (its quarantined records are in the store's ``quarantine`` table).
"""

from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task

from fiu_analytics.ingest.pipeline import Ingestor
from fiu_analytics.store import Store


def _retry_only_io(task: Any, task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except OSError:
        return True
    except Exception:
        return False
    return False


@task(retries=3, retry_delay_seconds=[1, 5, 20], retry_condition_fn=_retry_only_io)
def ingest_one(path: str, data_dir: str, fmt: str | None, mapping: str | None) -> dict[str, Any]:
    ing = Ingestor(Store(data_dir))
    report = ing.ingest([Path(path)], fmt=fmt, mapping=Path(mapping) if mapping else None)
    (fr,) = report.files
    return asdict(fr)


@task
def move(path: str, dest_dir: Path, reason: str | None = None) -> str:
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / Path(path).name
    shutil.move(path, target)
    if reason:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", "utf-8")
    return str(target)


@flow(name="fiu-ingest", log_prints=False)
def ingest_flow(
    inbox: str, data_dir: str, fmt: str | None = None, mapping: str | None = None
) -> dict[str, Any]:
    """Ingest every file waiting in ``inbox`` (files one level down, not hidden), one task each
    in name order (files of one run share the store, so they are ingested one after another).
    Returns counts per file; logs carry paths and counts only."""
    logger = get_run_logger()
    box = Path(inbox)
    files = sorted(p for p in box.iterdir() if p.is_file() and not p.name.startswith("."))
    results = []
    for p in files:
        r = ingest_one(str(p), data_dir, fmt, mapping)
        if r["error"]:
            move(str(p), box / "rejected", r["error"])
            logger.warning("rejected %s", p.name)
        else:
            move(str(p), box / "processed")
            logger.info(
                "%s: read %d, stored %d, quarantined %d, duplicates %d",
                p.name,
                r["read"],
                r["stored"],
                r["quarantined"],
                r["duplicates"],
            )
        results.append(r)
    totals = {
        k: sum(r[k] for r in results) for k in ("read", "stored", "quarantined", "duplicates")
    }
    return {
        "files": len(results),
        "rejected_files": sum(1 for r in results if r["error"]),
        **totals,
        "per_file": results,
    }
