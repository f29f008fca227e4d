"""Record-at-a-time parsers in child processes, so that parsing and conversion use two cores.

goAML and pacs.008 are read element by element in Python: the parse holds the GIL, so the
read-ahead thread of :mod:`.overlap` cannot run beside the conversion, which is Python too.
A :class:`ParseWorker` runs those parsers in child processes instead (the ingest starts
two). It is given the whole list of files up front; each file goes to the child with the
fewest bytes so far, and each child parses its files in order, a bounded number of groups
ahead of the ingest, so the next files are being parsed while the current one is converted
and written.

What crosses the process boundary is a :class:`RecordGroup` per ``size`` records: the
transaction records already turned into one columnar :class:`~.records.TxnChunk` (string
columns as Arrow arrays, which pickle as buffers), and the other records (rejections, parties,
labels) as they are. The ingest handles a group exactly as it handles the same records parsed
in its own thread, so the store is the same either way (``tests/ingest/test_parse_worker.py``
compares them); the one difference is that side objects shared across groups are resolved once
per group rather than once per file, as on the CSV path.

A child is a fresh interpreter (``python -c`` calling :func:`main`), not a
``multiprocessing`` child: it copies none of the parent's threads or locks and never re-runs the
caller's script, so a script without an ``if __name__ == "__main__"`` guard ingests as well as
the command line does. The two talk over the child's stdin and stdout with
:class:`multiprocessing.connection.Connection` (pickled messages); a thread of the ingest takes
messages off the pipe as they come, up to ``depth`` groups waiting, so the child keeps parsing
while the ingest is busy with an earlier file, and a full queue holds it back. A failure in
the child (a malformed file) comes back as the same exception, raised where the ingest reads
the failing file; a child that dies is reported as an error naming its exit code, never as a
hang.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from fiu_analytics.ingest.records import Record, TxnChunk, TxnRecord

_ENDED = object()  # the child's end of the pipe closed

__all__ = ["PROCESS_FORMATS", "ParseWorker", "RecordGroup", "grouped"]

PROCESS_FORMATS = frozenset({"goaml", "pacs008"})
"""Formats whose parsers are Python element by element: worth a second process."""


@dataclass
class RecordGroup:
    """Consecutive records of one file: its transactions as one chunk (None if there were
    none), the other records in file order."""

    chunk: TxnChunk | None
    others: list[Record] = field(default_factory=list)

    def __len__(self) -> int:
        return (len(self.chunk) if self.chunk is not None else 0) + len(self.others)


def grouped(items: Iterable[Any], source_file: str, size: int) -> Iterator[RecordGroup | TxnChunk]:
    """``items`` (records, or chunks from a columnar reader) as groups of at most ``size``
    records; chunks pass through, after the group before them."""
    from fiu_analytics.ingest.chunks import chunk_of_records

    txns: list[TxnRecord] = []
    others: list[Record] = []

    def group() -> RecordGroup:
        chunk = chunk_of_records(txns, source_file) if txns else None
        return RecordGroup(_compact(chunk) if chunk is not None else None, list(others))

    for item in items:
        if isinstance(item, TxnChunk):
            if txns or others:
                yield group()
                txns, others = [], []
            yield item
            continue
        if isinstance(item, TxnRecord):
            txns.append(item)
        else:
            others.append(item)
        if len(txns) + len(others) >= size:
            yield group()
            txns, others = [], []
    if txns or others:
        yield group()


def _compact(chunk: TxnChunk) -> TxnChunk:
    """String columns as Arrow arrays: they pickle as a few buffers, not a string each."""
    from fiu_analytics.ingest.chunks import as_arrow

    n = len(chunk)
    chunk.locator = as_arrow(chunk.locator, n)
    chunk.currency = as_arrow(chunk.currency, n)
    chunk.channel = as_arrow(chunk.channel, n)
    chunk.text = {k: as_arrow(v, n) for k, v in chunk.text.items()}
    return chunk


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError with its type and message."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _serve(conn_in: Connection, conn_out: Connection) -> None:
    """The child: read its tasks ``(seq, path, format, mapping)``, parse each file in order,
    send ``(kind, seq, payload)`` messages; a ``("cancel", seq)`` message skips or stops its
    files up to ``seq``."""
    from fiu_analytics.ingest.parsers import parser_for

    tasks, size = conn_in.recv()
    cancelled = -1

    def cancel_upto() -> int:
        nonlocal cancelled
        while conn_in.poll():
            _, seq = conn_in.recv()
            cancelled = max(cancelled, seq)
        return cancelled

    parsers: dict[tuple[str, str | None], Any] = {}
    for seq, path, fmt, mapping in tasks:
        if cancel_upto() >= seq:
            conn_out.send(("end", seq, None))
            continue
        items = None
        try:
            key = (fmt, mapping)
            if key not in parsers:
                parsers[key] = parser_for(fmt, Path(mapping) if mapping else None)
            items = parsers[key](Path(path))
            for g in grouped(items, path, size):
                if cancel_upto() >= seq:
                    break
                conn_out.send(("item", seq, g))
            conn_out.send(("end", seq, None))
        except (BrokenPipeError, EOFError):
            return  # the ingest is gone
        except BaseException as exc:  # raised in the ingest, where it reads this file
            conn_out.send(("error", seq, _portable(exc)))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()


class _Child:
    """One parse process and the two ends of its pipes."""

    def __init__(
        self, tasks: list[tuple[int, str, str, str | None]], size: int, depth: int
    ) -> None:
        import fiu_analytics

        env = dict(os.environ)
        root = str(Path(fiu_analytics.__file__).resolve().parents[1])  # this very package
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from fiu_analytics.ingest.parse_worker import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.send = Connection(os.dup(self.proc.stdin.fileno()), readable=False)
        self.recv = Connection(os.dup(self.proc.stdout.fileno()), writable=False)
        self.proc.stdin.close()
        self.proc.stdout.close()
        # a thread takes the child's messages off the pipe as they come, up to ``depth``
        # waiting: the child keeps parsing while the ingest is busy with an earlier file
        self.inbox: queue.Queue[Any] = queue.Queue(maxsize=max(depth, 1))
        self._stop = threading.Event()
        self.reader = threading.Thread(target=self._read, name="fiu-parse-reader", daemon=True)
        self.reader.start()
        self.send.send((tasks, size))

    def _read(self) -> None:
        while True:
            try:
                msg: Any = self.recv.recv()
            except (EOFError, OSError):
                msg = _ENDED
            while not self._stop.is_set():
                try:
                    self.inbox.put(msg, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if msg is _ENDED or self._stop.is_set():
                return

    def cancel(self, seq: int) -> None:
        """Skip or stop this child's files up to ``seq``."""
        with contextlib.suppress(OSError):  # the child has ended: nothing to cancel
            self.send.send(("cancel", seq))

    def get(self) -> tuple[str, int, Any]:
        got = self.inbox.get()
        if got is _ENDED:
            self.inbox.put(_ENDED)  # it stays ended for any later call
            code = self.proc.wait(timeout=10)
            raise RuntimeError(f"the parse process ended unexpectedly (exit code {code})")
        return got  # type: ignore[no-any-return]

    def drain(self, seq: int) -> None:
        """Read and drop messages up to the end of file ``seq`` (the child ends every file it
        was given with an "end" or "error" message, in order, so none of a later file's is
        read)."""
        try:
            while True:
                kind, s, _ = self.get()
                if s >= seq and kind != "item":
                    return
        except RuntimeError:
            return

    def close(self) -> None:
        self._stop.set()
        self.send.close()
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=10)  # the child's end is closed: its read has returned
        self.recv.close()


class ParseWorker:
    """Child processes parsing ``files`` (``(path, format, mapping)``, in the order the ingest
    will ask for them), each up to ``depth`` groups ahead. With several processes, each file in turn
    goes to the process with the fewest bytes so far, so they advance through the list at the
    same pace and consecutive files are parsed side by side.

    Use as a context manager; :meth:`items` yields a file's groups. Asking for a file skips
    (and cancels) the files before it that were not asked for.
    """

    def __init__(
        self,
        files: list[tuple[Path, str, Path | None]],
        size: int,
        processes: int = 1,
        depth: int = 8,
    ) -> None:
        self.seqs: dict[str, deque[int]] = {}
        for i, (p, _, _) in enumerate(files):
            self.seqs.setdefault(str(p), deque()).append(i)
        tasks = [(i, str(p), f, str(m) if m else None) for i, (p, f, m) in enumerate(files)]
        n = max(1, min(processes, len(files)))
        self.owner: list[int] = []
        load = [0] * n
        for p, _, _ in files:
            k = load.index(min(load))
            self.owner.append(k)
            try:
                load[k] += p.stat().st_size + 1
            except OSError:
                load[k] += 1
        self.children: list[_Child] = []
        try:
            for k in range(n):
                mine = [t for t, o in zip(tasks, self.owner, strict=True) if o == k]
                self.children.append(_Child(mine, size, depth))
        except BaseException:
            self.close()
            raise
        self.next = 0  # the first file whose messages have not been read

    def __enter__(self) -> ParseWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _child(self, seq: int) -> _Child:
        return self.children[self.owner[seq]]

    def handles(self, path: Path) -> bool:
        """Whether ``path`` is one of the files still ahead."""
        seqs = self.seqs.get(str(path))
        while seqs and seqs[0] < self.next:
            seqs.popleft()
        return bool(seqs)

    def items(self, path: Path) -> Iterator[RecordGroup | TxnChunk]:
        """The groups of ``path``; raises what parsing it raised. Closing the iterator early
        cancels the rest of the file."""
        if not self.handles(path):
            raise KeyError(f"{path} is not among the files ahead of the parse processes")
        seq = self.seqs[str(path)].popleft()
        for skipped in range(self.next, seq):
            self._child(skipped).cancel(skipped)
        self.next = seq
        child = self._child(seq)
        done = False
        try:
            while True:
                kind, s, payload = child.get()
                if s < seq:  # a skipped file's leftovers
                    continue
                if kind == "item":
                    yield payload
                    continue
                done = True
                if kind == "error":
                    raise payload
                return
        finally:
            self.next = seq + 1
            if not done:
                child.cancel(seq)
                child.drain(seq)

    def close(self) -> None:
        """Stop the children (whatever they are doing) and wait for them."""
        for child in self.children:
            child.close()


def main() -> None:
    """Entry point of the child: stdin and stdout carry the messages, so anything the parsers
    print goes to stderr instead."""
    conn_in = Connection(os.dup(0), writable=False)
    conn_out = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    with contextlib.suppress(BrokenPipeError, EOFError, KeyboardInterrupt):
        _serve(conn_in, conn_out)
