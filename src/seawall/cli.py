"""The `seawall` command line. Thin: each verb lives in its stage's `commands.py`.

Verbs are registered by module name so that a stage's heavy imports (cloud SDKs,
parsers) happen only when its verb runs.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

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

# Each module defines `register(app: typer.Typer) -> None`.
COMMAND_MODULES = (
    "seawall.packages.commands",  # sbom
    "seawall.vulns.commands",  # image, db
    "seawall.inventory.commands",  # inventory, coverage
    "seawall.hardening.commands",  # harden
    "seawall.detect.commands",  # detect
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


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # stage not built yet
                continue
            raise
        module.register(app)


_register_all()


def main() -> None:
    """Console entry point: run the app, turning seawall errors into one line and exit 2."""
    try:
        app(standalone_mode=True)
    except SeawallError as exc:
        Console(stderr=True, soft_wrap=True).print(
            f"[red]seawall: error:[/red] {exc}", highlight=False, markup=True, soft_wrap=True
        )
        sys.exit(2)
