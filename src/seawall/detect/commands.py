"""`seawall detect`: Falco rules, anomaly baselines and drift over event streams; `serve`."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from typer._click.core import Context as TyperContext  # typer's vendored click
from typer.core import TyperCommand, TyperGroup

from seawall.cliopts import FailOnOpt, OutputOpt, check_format, exit_code_for, parse_severity_option
from seawall.errors import InputError

FORMATS = ("table", "json", "jsonl", "ocsf")
MAX_DECOMPRESSED = 1024 * 1024 * 1024
MAX_RATIO = 200  # decompressed / compressed; real audit logs compress ~10-30x
MIN_ALLOWANCE = 16 * 1024 * 1024


class _DetectGroup(TyperGroup):
    """`seawall detect FILES...` runs the hidden `run` command; `seawall detect serve` serves."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] in self.commands and args[0] != "run":
            return super().resolve_command(ctx, args)
        return "run", self.commands["run"], args

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """`seawall detect --help` shows the options of `seawall detect FILES...` itself."""
        run = self.commands["run"]
        run.format_help(run.make_context("run", [], parent=ctx, resilient_parsing=True), formatter)


class _RunContext(TyperContext):
    """Usage lines and errors of the hidden `run` say `seawall detect`, what users type."""

    @property
    def command_path(self) -> str:
        if self.parent is not None:
            return self.parent.command_path
        return super().command_path


class _RunCommand(TyperCommand):
    context_class = _RunContext


detect_app = typer.Typer(
    cls=_DetectGroup,
    name="detect",
    no_args_is_help=True,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    help="Threat detection with Falco rules, anomaly baselines and drift.",
)

JsonFormatOpt = Annotated[
    str, typer.Option("--format", "-f", help="json (the only format of this document)")
]
ClusterOpt = Annotated[
    str | None,
    typer.Option("--cluster", help="k8saudit: the cluster's name (ka.cluster.name, alert assets)."),
]
RulesOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--rules",
        "-r",
        help="Falco rules file, or directory of them read in name order (repeatable).",
    ),
]


class _BoundedGzip(io.RawIOBase):
    """A gzip stream that refuses to inflate past a fixed size (decompression bombs)."""

    def __init__(self, raw: IO[bytes], limit: int, name: str) -> None:
        self._inner = gzip.GzipFile(fileobj=raw)
        self._left = limit
        self._limit = limit
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._inner.read(min(len(buffer), self._left + 1))
        except (OSError, EOFError) as exc:
            raise InputError(f"{self._name}: corrupt gzip data ({exc})") from None
        if len(data) > self._left:
            raise InputError(
                f"{self._name}: decompresses to more than {self._limit} bytes "
                f"(limit: {MAX_RATIO}x the compressed size, at most {MAX_DECOMPRESSED})"
            )
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


@contextmanager
def open_events(path: Path) -> Iterator[IO[bytes]]:
    """Open an event file (plain or gzip), or stdin for '-'."""
    if str(path) == "-":
        yield typer.get_binary_stream("stdin")
        return
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read event file ({exc.strerror})") from None
    with raw:
        if raw.read(2) == b"\x1f\x8b":
            raw.seek(0)
            size = path.stat().st_size
            limit = min(MAX_DECOMPRESSED, max(size * MAX_RATIO, MIN_ALLOWANCE))
            yield io.BufferedReader(_BoundedGzip(raw, limit, str(path)))
        else:
            raw.seek(0)
            yield raw


@detect_app.command(
    "run",
    cls=_RunCommand,
    hidden=True,
    epilog=(
        "Other commands (seawall detect COMMAND --help): serve (audit webhook on /k8s-audit), "
        "image-files (file lists for drift), merge-profiles (merge baseline profiles)."
    ),
)
def run_command(
    files: Annotated[list[Path], typer.Argument(help="Event files ('-' for stdin).")],
    source: Annotated[
        str,
        typer.Option("--source", "-s", help="k8saudit|tetragon|falco|sysdig|cloudtrail|gcpaudit"),
    ],
    rules: RulesOpt = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table|json|jsonl|ocsf")] = "table",
    output: OutputOpt = None,
    fail_on: FailOnOpt = None,
    rule_matching: Annotated[
        str, typer.Option("--rule-matching", help="first (Falco's default) or all")
    ] = "first",
    strict: Annotated[
        bool, typer.Option("--strict", help="A rule that does not compile is fatal.")
    ] = False,
    baseline: Annotated[
        str | None, typer.Option("--baseline", help="learn | enforce (needs --profile)")
    ] = None,
    profile: Annotated[
        Path | None, typer.Option("--profile", help="Baseline profile JSON file.")
    ] = None,
    learn_for: Annotated[
        str | None, typer.Option("--learn-for", help="Learning window (24h); default: until stable")
    ] = None,
    image_files: Annotated[
        Path | None,
        typer.Option("--image-files", help="Image file lists for drift (seawall.image-files/v1)."),
    ] = None,
    dedupe: Annotated[
        str | None, typer.Option("--dedupe", help="Suppress identical alerts within (60s).")
    ] = None,
    webhook: Annotated[
        str | None, typer.Option("--webhook", help="POST each alert (JSON) to this URL.")
    ] = None,
    cluster: ClusterOpt = None,
) -> None:
    """Evaluate event files against Falco rules, baselines and drift."""
    from seawall.detect.runner import DetectOptions, run_detect

    check_format(format, FORMATS)
    severity = parse_severity_option(fail_on)
    if baseline not in (None, "learn", "enforce"):
        raise typer.BadParameter("must be learn or enforce", param_hint="--baseline")
    if baseline and profile is None:
        raise typer.BadParameter("--baseline needs --profile FILE", param_hint="--profile")
    # fail before reading a possibly huge event stream, not after
    for target in (output, profile if baseline == "learn" else None):
        if target is not None and not target.parent.is_dir():
            raise InputError(f"cannot write {target}: directory {target.parent} does not exist")
    options = DetectOptions(
        source=source,
        rules=list(rules or []),
        rule_matching=rule_matching,
        strict=strict,
        baseline=baseline,
        profile=profile,
        learn_for=learn_for,
        image_files=image_files,
        dedupe=dedupe,
        webhook=webhook,
        cluster=cluster,
    )
    report = run_detect(options, files, open_events)
    if report.errors and len(report.errors) == len(files):
        raise typer.Exit(2)  # no file could be read: each has its error line, nothing written
    from seawall.detect.runner import render

    render(report, format, output)
    # an unreadable input file (its error line is on stderr) outranks --fail-on's 1
    raise typer.Exit(2 if report.errors else int(exit_code_for(report.findings, severity)))


@detect_app.command("serve")
def serve_command(
    listen: Annotated[
        str, typer.Option("--listen", help="HOST:PORT to listen on (e.g. 127.0.0.1:9765).")
    ] = "127.0.0.1:9765",
    rules: RulesOpt = None,
    sink: Annotated[
        list[str] | None,
        typer.Option("--sink", help="ocsf:FILE | jsonl:FILE | stdout | webhook:URL (repeatable)"),
    ] = None,
    rule_matching: Annotated[str, typer.Option("--rule-matching")] = "first",
    strict: Annotated[bool, typer.Option("--strict")] = False,
    dedupe: Annotated[str | None, typer.Option("--dedupe")] = None,
    cluster: ClusterOpt = None,
    max_connections: Annotated[
        int,
        typer.Option(
            "--max-connections", help="Connections served at once; more wait (default 64)."
        ),
    ] = 64,
    read_timeout: Annotated[
        float,
        typer.Option("--read-timeout", help="Seconds a stalled or idle client is kept (30)."),
    ] = 30.0,
) -> None:
    """Receive Kubernetes audit webhook POSTs on /k8s-audit and evaluate them live."""
    from seawall.detect.server import serve

    serve(
        listen=listen,
        rules=list(rules or []),
        sinks=list(sink or ["stdout"]),
        rule_matching=rule_matching,
        strict=strict,
        dedupe=dedupe,
        cluster=cluster,
        max_connections=max_connections,
        read_timeout=read_timeout,
    )


@detect_app.command("image-files")
def image_files_command(
    images: Annotated[list[str], typer.Argument(help="Images (docker-archive:, oci:, dir: ...).")],
    output: OutputOpt = None,
    format: JsonFormatOpt = "json",
    digest: Annotated[
        list[str] | None,
        typer.Option(
            "--digest",
            help="Key the list by this digest (the one the runtime reports), one per image.",
        ),
    ] = None,
) -> None:
    """Write the file lists of images (seawall.image-files/v1) for drift detection."""
    from seawall.detect.drift import IMAGE_FILES_SCHEMA, image_files
    from seawall.report.output import to_json, write_output

    check_format(format, ("json",))
    digests = list(digest or [])
    if digests and len(digests) != len(images):
        raise typer.BadParameter("give one --digest per image", param_hint="--digest")
    listed: dict[str, list[str]] = {}
    for index, ref in enumerate(images):
        found, paths = image_files(ref)
        key = digests[index] if digests else found
        if not key:
            raise InputError(f"{ref}: the image has no digest; name it with --digest")
        listed[key] = paths
    write_output(to_json({"schema": IMAGE_FILES_SCHEMA, "images": listed}), output)


@detect_app.command("merge-profiles")
def merge_profiles_command(
    profiles: Annotated[list[Path], typer.Argument(help="Baseline profiles to merge.")],
    output: OutputOpt = None,
    format: JsonFormatOpt = "json",
) -> None:
    """Merge baseline profiles (e.g. learned on several clusters) into one."""
    check_format(format, ("json",))
    from seawall.detect.anomaly import Profiles
    from seawall.report.output import to_json, write_output

    merged = Profiles()
    for path in profiles:
        if not path.exists():
            raise InputError(f"{path}: profile does not exist")
        loaded = Profiles.load(path)
        merged.merge(loaded)
        merged.version = max(merged.version, loaded.version)
    merged.version += 1
    write_output(to_json(merged.document()), output)


def register(app: typer.Typer) -> None:
    app.add_typer(detect_app, name="detect")
