"""Progress display on stderr (rich), silent when stderr is not a terminal."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

stderr = Console(stderr=True)


def progress_bar(*, bytes_mode: bool = False) -> Progress:
    """A rich Progress for work that can take more than a second, drawn on stderr."""
    columns = [TextColumn("[bold]{task.description}"), BarColumn()]
    if bytes_mode:
        columns += [DownloadColumn(), TransferSpeedColumn()]
    else:
        columns += [MofNCompleteColumn()]
    columns.append(TimeElapsedColumn())
    return Progress(*columns, console=stderr, transient=True, disable=not stderr.is_terminal)


def warn(message: str) -> None:
    """Print a one-line warning on stderr."""
    stderr.print(f"[yellow]warning:[/yellow] {message}", highlight=False, soft_wrap=True)
