"""A rich progress bar fed by the SDK's :class:`~pocketsync.client.SyncProgress` reports."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn

from pocketsync.client import SyncProgress

__all__ = ["SyncProgressBar"]

_LABELS = {
    "manifest": "Asking the server",
    "download": "Downloading",
    "apply": "Writing catalog",
    "index": "Building search index",
    "done": "Done",
}


class SyncProgressBar:
    """``with SyncProgressBar(console) as bar: client.sync(progress=bar)``.

    Shows the phase, a bar over bytes (download) or rows (apply), and the SDK's estimate
    of the time left. Disabled (silent) when ``console`` is not a terminal.
    """

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[rows]}"),
            TextColumn("{task.fields[eta]}"),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> SyncProgressBar:
        self._progress.start()
        self._task = self._progress.add_task(_LABELS["manifest"], total=None, rows="", eta="")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def __call__(self, p: SyncProgress) -> None:
        if self._task is None:
            return
        eta = "" if p.seconds_left is None else f"~{p.seconds_left:.1f} s left"
        rows = f"{p.rows_done:,}/{p.rows_total:,} rows" if p.rows_total else ""
        if p.phase in ("apply",) and p.rows_total:
            # The bar follows rows while writing; the byte column shows the chunk bytes done.
            completed = p.bytes_total * p.rows_done / p.rows_total
        else:
            completed = float(p.bytes_done)
        self._progress.update(
            self._task,
            description=_LABELS.get(p.phase, p.phase),
            total=p.bytes_total or None,
            completed=completed,
            rows=rows,
            eta=eta,
        )
