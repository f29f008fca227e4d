"""Files readable by their owner only: case material names accounts and carries evidence."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from fiu_analytics.errors import ConfigError

FILE_MODE = 0o600
DIR_MODE = 0o700
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it accessible to its owner only."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(DIR_MODE)
    return path


def safe_name(value: Any, what: str) -> str:
    """``value`` as a single path component, or a :class:`ConfigError` naming ``what``."""
    name = str(value)
    if not _SAFE_NAME.match(name) or name in (".", ".."):
        raise ConfigError(
            f"{what} {name!r} cannot be used as a folder name; expected letters, digits, "
            "'.', '_' or '-' (at most 128)"
        )
    return name


@contextmanager
def private_open(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open ``path`` for writing, created (or truncated) with mode 0o600 from the start."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # an existing file keeps its old mode otherwise
    if "b" in mode:
        with os.fdopen(fd, mode) as fh:
            yield fh
    else:
        with os.fdopen(fd, mode, encoding="utf-8", newline="") as fh:
            yield fh
