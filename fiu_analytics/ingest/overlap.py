"""Overlapping the stages of one file's ingest on two cores, in the same order as without.

Arrow's CSV parser and Parquet writer release the GIL, so a file's next block can be parsed
and its last block written while the current one is validated, deduplicated and resolved.
:func:`read_ahead` runs a parser in a thread a bounded number of items ahead;
:class:`OrderedWrites` runs store writes in one thread, in submission order, with a bounded
number pending. Both keep memory bounded (a few blocks, never the file) and re-raise a failure
in the caller's thread, so a file that fails still adds nothing to the store.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

__all__ = ["OrderedWrites", "read_ahead"]

_DONE = object()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def read_ahead(
    items: Iterable[Any],
    depth: int = 1,
    batch: int = 1,
    whole: Callable[[Any], bool] | None = None,
) -> Iterator[Any]:
    """The items of ``items``, produced by a background thread at most ``depth`` queue slots
    of ``batch`` items ahead of the consumer. An item for which ``whole`` is true (a block of
    rows, already a batch) ends its slot at once, so a slot never holds several blocks.

    An exception raised while producing is raised here, at the position it happened. Closing
    this generator early (the consumer failed) stops the producer and closes ``items``.
    """
    slots: queue.Queue[Any] = queue.Queue(maxsize=max(depth, 1))
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        it = iter(items)
        try:
            group: list[Any] = []
            for item in it:
                group.append(item)
                if len(group) >= batch or (whole is not None and whole(item)):
                    if not put(group):
                        return
                    group = []
            if group and not put(group):
                return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="ingest-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            got = slots.get()
            if got is _DONE:
                return
            if isinstance(got, _Failed):
                raise got.exc
            yield from got
    finally:
        stop.set()
        worker.join()


class OrderedWrites:
    """Calls submitted functions one at a time in a worker thread, in submission order, with
    at most ``depth`` waiting; :meth:`wait` returns when all are done and raises the first
    failure."""

    def __init__(self, depth: int = 1) -> None:
        self.depth = depth
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-write")
        self._pending: deque[Future[Any]] = deque()

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        self._pending.append(self._pool.submit(fn, *args))
        while len(self._pending) > self.depth:
            self._pending.popleft().result()

    def wait(self) -> None:
        """Wait for every submitted call; raise the first failure (after all have ended)."""
        first: BaseException | None = None
        while self._pending:
            try:
                self._pending.popleft().result()
            except BaseException as exc:
                first = first or exc
        if first is not None:
            raise first

    def close(self) -> None:
        """Wait for what is running and stop the thread, ignoring failures (the caller is
        already handling one)."""
        try:
            self.wait()
        except BaseException:
            pass
        finally:
            self._pool.shutdown(wait=True)
