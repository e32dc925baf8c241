"""A big sheet's rows, parsed by a second process while this one uses them.

openpyxl spends most of a roster read turning XML into values, in Python; the
validation of those rows costs nearly as much again.  A reader process
(`python -m canxie_tui.excel.roster.reader_process`) does the first while this one does the
second, on another core.  The rows come back through its standard output as
pickled batches, in order, as openpyxl gives them (tuples of values, empty rows
included), so the row numbers are the same as reading in-process.

A plain subprocess rather than multiprocessing: "spawn" would import the
caller's main module again in the child, and "fork" is unsafe in the threaded
TUI.  Small workbooks are read in-process: starting a reader (a fresh
interpreter that imports openpyxl, ~0.2 s) costs more than it saves, and if it
cannot be started at all the caller reads in-process too.

Only openpyxl is imported in the reader, so that it starts quickly.
"""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from canxie_tui.excel.errors import SyncError

__all__ = ["PARALLEL_MIN_BYTES", "ReaderStopped", "start_reader"]

log = logging.getLogger(__name__)

# From this size of .xlsx on, a reader process pays for itself (a 30k-row roster
# is ~2.5 MB; 1 MB is ~10k rows, where the saving is ~0.3 s).
PARALLEL_MIN_BYTES = 1 << 20
_BATCH = 1000  # rows per message
_ROWS, _DONE, _ERROR = "rows", "done", "error"


class ReaderStopped(SyncError):
    """The reader process ended without finishing (killed, out of memory ...)."""


def start_reader(path: Path, sheet: int, first_row: int) -> Iterator[tuple[Any, ...]] | None:
    """Rows `first_row`... of worksheet number `sheet` (0-based, as in
    `workbook.worksheets`), from a reader process; None when none could start
    (or it ended before its first batch: read in-process then)."""
    # -P: the current folder (a Downloads folder, say) is not put on sys.path
    command = [sys.executable, "-P", "-m", __name__, str(path), str(sheet), str(first_row)]
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # errors come through the pipe; the TUI owns the terminal
        )
    except OSError as err:
        log.warning("无法启动读取进程（%s），改为在本进程中读取", err)
        return None
    stream = process.stdout
    assert stream is not None
    try:
        first = pickle.load(stream)
    except (EOFError, pickle.UnpicklingError):
        log.warning("读取进程未能开始（退出码 %s），改为在本进程中读取", process.wait())
        stream.close()
        return None
    return _receive(process, stream, first)


def _receive(
    process: subprocess.Popen[bytes], stream: IO[bytes], message: tuple[str, Any]
) -> Iterator[tuple[Any, ...]]:
    try:
        while True:
            kind, payload = message
            if kind == _DONE:
                return
            if kind == _ERROR:
                raise payload
            yield from payload
            try:
                message = pickle.load(stream)
            except (EOFError, pickle.UnpicklingError):
                raise ReaderStopped(
                    "读取花名册的后台进程意外结束（可能内存不足或被系统终止），"
                    "数据库没有任何改动，请重试。"
                ) from None
    finally:
        stream.close()  # a reader still writing gets a broken pipe and stops
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve(path: str, sheet: int, first_row: int, out: IO[bytes]) -> None:
    """In the reader process: stream the rows to `out`, then "done" (or the error)."""
    import warnings

    from openpyxl import load_workbook

    def send(kind: str, payload: Any) -> None:
        # Pickled whole first: a value that cannot be pickled leaves the stream intact.
        out.write(pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL))

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(path, read_only=True, data_only=False)
        ws = wb.worksheets[sheet]
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # as the in-process read: trust no <dimension>
        batch: list[tuple[Any, ...]] = []
        for cells in ws.iter_rows(min_row=first_row, values_only=True):
            batch.append(cells)
            if len(batch) == _BATCH:
                send(_ROWS, batch)
                batch = []
        send(_ROWS, batch)
        send(_DONE, None)
        out.flush()
        wb.close()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the reading side stopped (a rejected file, an error there)
    except Exception as err:  # raised there, as an in-process read would raise it
        try:
            send(_ERROR, err)
        except Exception:  # not picklable
            send(_ERROR, ValueError(f"{type(err).__name__}: {err}"))
        out.flush()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.stdout.buffer)
