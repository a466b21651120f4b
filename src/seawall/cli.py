"""The `seawall` command line. Thin: each verb lives in its stage's `commands.py`.

Verbs are registered by module name, and a run imports only the module of the verb it
runs, so that one verb never pays for another stage's imports (cloud SDKs, parsers, rich).
`seawall --help`, an unknown verb and shell completion register every verb.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import typer

from seawall import __version__
from seawall.errors import SeawallError

app = typer.Typer(
    name="seawall",
    help="Container security across every service that runs containers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Each module defines `register(app: typer.Typer) -> None`, adding the verbs listed here;
# the order is the order of `seawall --help`.
COMMAND_MODULES = (
    ("seawall.packages.commands", ("sbom",)),
    ("seawall.vulns.commands", ("image", "db")),
    ("seawall.inventory.commands", ("inventory", "coverage")),
    ("seawall.hardening.commands", ("harden",)),
    ("seawall.detect.commands", ("detect",)),
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"seawall {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Container security across every service that runs containers."""


def modules_for(args: Sequence[str]) -> list[str]:
    """The command modules a run with these arguments needs: the one defining its verb,
    or all of them (help, an unknown verb, shell completion)."""
    # The root takes only flags (--version, --help), so the first other word is the verb;
    # a help flag before it is the root's help, which lists every verb.
    for arg in args:
        if arg in ("-h", "--help"):
            break
        if not arg.startswith("-"):
            for name, verbs in COMMAND_MODULES:
                if arg in verbs:
                    return [name]
            break
    return [name for name, _ in COMMAND_MODULES]


def register(names: Sequence[str]) -> None:
    """Import these command modules and add their verbs to `app` (once each)."""
    for name in names:
        if name in _registered:
            continue
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # stage not built yet
                continue
            raise
        module.register(app)
        _registered.add(name)


_registered: set[str] = set()


def main() -> None:
    """Console entry point: run the app, turning seawall errors into one line and exit 2."""
    register(modules_for(sys.argv[1:]))
    try:
        app(standalone_mode=True)
    except SeawallError as exc:
        from seawall.progress import report_error

        report_error(str(exc))
        sys.exit(2)
