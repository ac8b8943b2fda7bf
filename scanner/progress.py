"""Progress on stderr, only when stderr is a terminal (scripts and pipes see nothing)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TextIO

ProgressSink = Callable[[int, int], None]


@contextlib.contextmanager
def progress(stream: TextIO, label: str = "scanning") -> Iterator[ProgressSink | None]:
    """Yield a callback (done, total) drawing a bar with count and ETA, or None off a TTY."""
    if not stream.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("addresses"),
        TimeRemainingColumn(),
        console=Console(file=stream),
        transient=True,
    )
    task = bar.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update
