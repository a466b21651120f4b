"""Progress display on stderr (rich), silent when stderr is not a terminal.

rich is imported only when it draws or prints something: a run whose stderr is a pipe or
a file (CI, scripts, benchmarks) and that has nothing to warn about never imports it.
"""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from rich.text import Text

_console: Console | None = None


def stderr_console() -> Console:
    """The rich Console on stderr shared by every verb (created on first use)."""
    global _console
    if _console is None:
        from rich.console import Console

        # messages name files, packages and URLs: ":abc:" in them is text, not an emoji
        _console = Console(stderr=True, emoji=False)
    return _console


def _surely_not_a_terminal() -> bool:
    """True when rich would not draw on stderr either: no TTY_COMPATIBLE=1 or FORCE_COLOR
    override (rich's own checks) and stderr is not a TTY."""
    if os.environ.get("TTY_COMPATIBLE") == "1" or os.environ.get("FORCE_COLOR") is not None:
        return False
    try:
        return not sys.stderr.isatty()
    except (AttributeError, ValueError):  # no stderr, or closed: rich says not a terminal
        return True


class _SilentProgress:
    """What a disabled rich Progress does (nothing), for the calls seawall makes on it."""

    def __init__(self) -> None:
        self._next = 0

    def __enter__(self) -> _SilentProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, *args: Any, **kwargs: Any) -> int:
        self._next += 1
        return self._next - 1

    def update(self, task_id: int, *args: Any, **kwargs: Any) -> None:
        return None

    def advance(self, task_id: int, advance: float = 1) -> None:
        return None

    def remove_task(self, task_id: int) -> None:
        return None


def progress_bar(*, bytes_mode: bool = False) -> Progress:
    """A rich Progress for work that can take more than a second, drawn on stderr; when
    stderr is not a terminal, a silent stand-in with the same calls (no rich import)."""
    if _surely_not_a_terminal():
        return cast("Progress", _SilentProgress())
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TransferSpeedColumn,
    )

    stderr = stderr_console()
    # descriptions are file paths, feed and project names: shown as typed, not as markup
    description = TextColumn("{task.description}", style="bold", markup=False)
    columns: list[ProgressColumn] = [description, BarColumn()]
    if bytes_mode:
        columns += [DownloadColumn(), TransferSpeedColumn()]
    else:
        columns += [MofNCompleteColumn()]
    columns.append(TimeElapsedColumn())
    return Progress(*columns, console=stderr, transient=True, disable=not stderr.is_terminal)


# C0 (but tab and newline), DEL and C1: an ESC from a hostile name would drive the terminal
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with control characters (terminal escape sequences) shown as `\\xNN`."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def console_line(text: str) -> str:
    """`text` (names, paths, values from the input) safe inside a rich markup string:
    `[/bold]` or `[link=...]` is shown as typed, not parsed (a MarkupError crashed the
    CLI), and control characters are made visible."""
    from rich.markup import escape

    return escape(printable(text))


def cell(value: object) -> Text:
    """A table cell showing `value` as typed (rich parses markup in plain str cells)."""
    from rich.text import Text

    return Text(printable(str(value)))


def report_error(message: str) -> None:
    """One `seawall: error: ...` line on stderr (`message` is text, never rich markup): a
    fatal input error, or one input of a batch that could not be used."""
    stderr_console().print(
        f"[red]seawall: error:[/red] {console_line(message)}",
        highlight=False,
        markup=True,
        soft_wrap=True,
    )


def warn(message: str) -> None:
    """Print a one-line warning on stderr (`message` is text, never rich markup)."""
    stderr_console().print(
        f"[yellow]warning:[/yellow] {console_line(message)}",
        highlight=False,
        emoji=False,
        soft_wrap=True,
    )
