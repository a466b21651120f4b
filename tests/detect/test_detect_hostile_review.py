"""Hostile events against ordinary rules: backtracking regexes, huge numbers, bad patterns."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from seawall_testlib import DATA, run_seawall

EVENT = DATA / "detect" / "events" / "k8s_audit" / "create_kube_system_secret.json"


def _rule(tmp_path: Path, condition: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "- rule: Odd user\n"
        "  desc: d\n"
        f"  condition: {condition}\n"
        "  output: odd user %ka.user.name\n"
        "  priority: WARNING\n"
        "  source: k8s_audit\n"
    )
    return path


def _event(tmp_path: Path, user: str) -> Path:
    event = json.loads(EVENT.read_text())
    event["user"]["username"] = user
    path = tmp_path / "events.json"
    path.write_text(json.dumps(event) + "\n")
    return path


def test_regex_with_nested_repeats_is_linear_on_a_crafted_field(tmp_path: Path) -> None:
    # Python's backtracking re took ~20 s on 40 characters (doubling per character): one
    # crafted user name, label or object name stalled `detect` and `detect serve`.
    rules = _rule(tmp_path, 'ka.user.name regex "(a|aa)+"')
    start = time.monotonic()
    done = run_seawall(
        "detect", "-s", "k8saudit", "-r", str(rules), str(_event(tmp_path, "a" * 5000 + "!"))
    )
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - start < 10
    assert b"1 events, 0 alerts" in done.stdout
    hit = run_seawall("detect", "-s", "k8saudit", "-r", str(rules), str(_event(tmp_path, "a" * 41)))
    assert b"odd user " + b"a" * 41 in hit.stdout  # still a full match, as Falco's RE2


def test_a_regex_re2_cannot_take_disables_its_rule_in_one_line(tmp_path: Path) -> None:
    rules = _rule(tmp_path, 'ka.user.name regex "(?=a)x"')
    done = run_seawall("detect", "-s", "k8saudit", "-r", str(rules), str(EVENT))
    assert done.returncode == 0
    err = done.stderr.decode().strip().splitlines()
    assert err[0].startswith(f"warning: {rules}:1: Odd user: invalid regex '(?=a)x'")
    assert "(rule disabled)" in err[0]
    assert not any("re2.cc" in line for line in err)  # RE2's own log stays quiet


def test_a_lone_surrogate_escape_is_a_bad_line_and_later_events_still_alert(
    tmp_path: Path,
) -> None:
    # "\ud800" is valid JSON syntax but no text: the alert quoting it crashed the output
    # (UnicodeEncodeError traceback, nothing written) for every alert of the run.
    rules = _rule(tmp_path, 'ka.user.name regex "a.*b"')
    event = json.loads(EVENT.read_text())
    docs = []
    for user in ("a\ud800b", "a-b"):
        event["user"]["username"] = user
        docs.append(json.dumps(event, indent=1))  # pretty-printed: read as documents
    events = tmp_path / "events.json"
    events.write_text("\n".join(docs) + "\n")
    out = tmp_path / "alerts.json"
    done = run_seawall(
        "detect", "-s", "k8saudit", "-r", str(rules), str(events), "-f", "json", "-o", str(out)
    )
    assert b"Traceback" not in done.stderr
    report = json.loads(out.read_text())
    assert [f["evidence"] for f in report["findings"]] == ["odd user a-b"]
    assert report["bad_lines"][0]["reason"] == "not JSON (a lone UTF-16 surrogate escape)"


def test_an_integer_longer_than_4300_digits_is_a_bad_line_not_a_traceback(
    tmp_path: Path,
) -> None:
    events = tmp_path / "events.json"
    events.write_text('{"kind": "Event", "verb": ' + "9" * 5000 + "}\n")
    done = run_seawall("detect", "-s", "k8saudit", str(events))
    assert done.returncode == 2
    assert done.stderr.decode().strip() == (
        f"seawall: error: {events}:1: not a k8saudit event stream "
        "(not JSON (a number longer than 4300 digits))"
    )


def test_a_client_trickling_its_body_is_dropped_after_the_read_timeout(tmp_path: Path) -> None:
    # A byte every second kept the connection (and its slot) for ever: the socket timeout
    # bounded each recv only. With --max-connections such clients, nobody else was served.
    import signal
    import socket

    from detect_serve_helpers import start_server
    from seawall_testlib import REPO

    body = EVENT.read_bytes()
    server, port = start_server(REPO, "--max-connections", "1", "--read-timeout", "1.5")
    slow = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        slow.sendall(
            b"POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
        )
        started = time.monotonic()
        dropped = None
        for i in range(12):  # one byte every 0.5 s: each recv is well within the timeout
            try:
                slow.sendall(body[i : i + 1])
            except OSError:
                dropped = time.monotonic() - started
                break
            time.sleep(0.5)
        if dropped is None:
            slow.settimeout(5)
            assert slow.recv(65536) == b""  # closed by the server, no response
            dropped = time.monotonic() - started
        assert dropped < 5.5
        # the single slot is free again
        other = socket.create_connection(("127.0.0.1", port), timeout=10)
        other.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert other.recv(65536).startswith(b"HTTP/1.1 200")
        other.close()
    finally:
        slow.close()
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=60)
    assert server.returncode == 0


@pytest.mark.parametrize(
    ("text", "error"),
    [
        # libyaml recursed on the C stack: the process died of SIGSEGV, no message at all
        ("- rule: r\n  desc: " + "[" * 100_000 + "]" * 100_000 + "\n", "is nested too deeply"),
        (
            "- rule: r\n  desc: " + "{a: " * 50_000 + "1" + "}" * 50_000 + "\n",
            "is nested too deeply",
        ),
    ],
    ids=["deep-lists", "deep-maps"],
)
def test_a_rules_file_that_cannot_be_built_is_one_line(
    tmp_path: Path, text: str, error: str
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(text)
    done = run_seawall("detect", "-s", "k8saudit", "-r", str(rules), str(EVENT))
    assert done.returncode == 2
    assert done.stderr.decode().strip() == f"seawall: error: {rules}: rules file {error}"


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ("- required_plugin_versions: 5", "required_plugin_versions must be a list"),
        # scalars are text, as in Falco (yaml-cpp): fields "5", comps "7"
        (
            "- rule: Secret\n  exceptions: [{name: e, fields: 5, values: []}]\n  append: true",
            "exception e has no values (ignored)",
        ),
        (
            "- rule: Secret\n  exceptions: [{name: e, fields: [ka.verb], comps: 7}]\n"
            "  append: true",
            "exception e: fields and comps lists must have equal length (ignored)",
        ),
        (
            "- rule: Secret\n  exceptions: [{name: e, fields: [ka.verb], comps: {a: b}}]\n"
            "  append: true",
            "exception e: comps must be an operator or a list",
        ),
    ],
)
def test_items_of_the_wrong_shape_disable_themselves_not_the_run(
    tmp_path: Path, item: str, problem: str
) -> None:
    # each was a TypeError traceback ('int' object is not iterable)
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "- rule: Secret\n  desc: d\n  condition: ka.verb=create and ka.target.resource=secrets\n"
        "  output: secret by %ka.user.name\n  priority: WARNING\n  source: k8s_audit\n"
        + item
        + "\n"
    )
    done = run_seawall("detect", "-s", "k8saudit", "-r", str(rules), str(EVENT))
    err = done.stderr.decode()
    assert "Traceback" not in err and problem in err, err


def test_scalars_pyyaml_could_not_build_are_text_as_in_falco(tmp_path: Path) -> None:
    # a 5,000-digit number or an impossible date were ValueError tracebacks (PyYAML typed
    # them); Falco (yaml-cpp) reads every scalar as the text written
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "- rule: Secret\n  desc: 2024-13-45\n"
        "  condition: ka.verb=create and ka.target.resource=secrets\n"
        "  output: secret by %ka.user.name\n  priority: WARNING\n  source: k8s_audit\n"
        f"  tags: [{'9' * 5000}]\n"
        "- rule: Other\n  desc: d\n  condition: ka.verb=create\n  output: o\n"
        f"  priority: {'9' * 5000}\n  source: k8s_audit\n"
    )
    done = run_seawall("detect", "-s", "k8saudit", "-r", str(rules), str(EVENT), "-f", "json")
    assert done.returncode == 0
    (warning,) = done.stderr.decode().splitlines()
    assert f"{rules}:8: Other: invalid priority '999" in warning and len(warning) < 300
    (finding,) = json.loads(done.stdout)["findings"]
    assert finding["rule"] == "Secret" and finding["details"]["tags"] == ["9" * 5000]


def test_markup_in_an_event_field_is_shown_as_typed_in_the_alert_table(tmp_path: Path) -> None:
    # the alert output quotes the event: '[/bold]' as a user name crashed the table
    # (MarkupError traceback: every alert of the run lost)
    rules = _rule(tmp_path, "ka.verb=create")
    done = run_seawall(
        "detect", "-s", "k8saudit", "-r", str(rules), str(_event(tmp_path, "[/bold]\x1b[2J"))
    )
    assert done.returncode == 0, done.stderr
    assert "odd user [/bold]\\x1b[2J" in done.stdout.decode()


@pytest.mark.parametrize(
    ("option", "error"),
    [
        (["-r"], "rules file larger than 16777216 bytes"),
        (["--baseline", "enforce", "--profile"], "profile larger than 67108864 bytes"),
    ],
)
def test_a_device_or_fifo_given_as_a_file_is_refused_at_the_size_bound(
    option: list[str], error: str
) -> None:
    # stat() says 0 bytes for /dev/zero (or a FIFO): the size check passed and the read
    # never ended (MemoryError traceback after gigabytes)
    done = run_seawall("detect", "-s", "k8saudit", *option, "/dev/zero", str(EVENT))
    assert done.returncode == 2
    assert done.stderr.decode().strip() == f"seawall: error: /dev/zero: {error}"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        # urlsplit's ValueError and bind()'s OverflowError were tracebacks
        (
            ["--webhook", "http://[::1/services/S3CRET"],
            "--webhook: expected an http(s) URL, not http://?/...",
        ),
        (
            ["--webhook", "http://127.0.0.1:99999/S3CRET"],
            "--webhook: expected an http(s) URL, not http://127.0.0.1/...",
        ),
        (
            ["serve", "--listen", "127.0.0.1:99999"],
            "--listen '127.0.0.1:99999': expected HOST:PORT (e.g. 127.0.0.1:9765)",
        ),
        (
            ["serve", "--listen", "127.0.0.1:0", "--read-timeout", "inf"],
            "--read-timeout inf: must be more than 0 and less than 1000000 seconds",
        ),
    ],
    ids=["ipv6-bracket", "webhook-port", "listen-port", "read-timeout-inf"],
)
def test_impossible_urls_ports_and_timeouts_are_one_line(args: list[str], error: str) -> None:
    rest = [] if args[0] == "serve" else ["-s", "k8saudit", str(EVENT)]
    done = run_seawall("detect", *args, *rest, timeout=30)
    assert done.returncode == 2
    assert done.stderr.decode().strip() == f"seawall: error: {error}"
    assert b"S3CRET" not in done.stderr


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ({"workloads": 5}, "profile 'workloads' and 'learning' must be objects"),
        ({"workloads": [1]}, "profile 'workloads' and 'learning' must be objects"),
        ({"version": "x", "workloads": {}}, "profile 'version' must be a number"),
        ({"learning": {"from": 5}, "workloads": {}}, "profile 'learning' times must be strings"),
        (
            {"workloads": {"a": {"process": 5}}},
            "workload 'a': item lists must be lists, counts numbers",
        ),
    ],
)
def test_a_profile_of_the_wrong_shape_is_one_line(
    tmp_path: Path, document: dict[str, object], error: str
) -> None:
    # each was a traceback (AttributeError 'int' object has no attribute 'items', ...)
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({"schema": "seawall.detect-profile/v1", **document}))
    for args in (
        ["merge-profiles", str(profile), "-o", str(tmp_path / "merged.json")],
        ["-s", "k8saudit", "--baseline", "enforce", "--profile", str(profile), str(EVENT)],
    ):
        done = run_seawall("detect", *args)
        assert done.returncode == 2
        assert done.stderr.decode().strip() == f"seawall: error: {profile}: {error}"
    assert not (tmp_path / "merged.json").exists()


def test_the_dedupe_memory_of_a_long_running_server_stays_bounded() -> None:
    # every distinct alert output (attacker-chosen pod or user names) stayed in the
    # deduper for ever: `detect serve --dedupe 60s` grew without bound over weeks
    from seawall.detect.alerts import Deduper
    from seawall.detect.engine import Alert

    def alert(output: str) -> Alert:
        return Alert("r", "WARNING", output, None, "k8saudit", (), "a", "webhook", 1, {})

    deduper = Deduper(60.0)
    for second in range(200_000):
        assert deduper.admit(alert(f"pod-{second}"), now=float(second))
        assert len(deduper.last) <= 2 * 65_536
    assert not deduper.admit(alert("pod-199990"), now=200_000.0)  # within the window
    assert deduper.admit(alert("pod-100"), now=200_001.0)  # long ago: admitted again
    assert deduper.total_suppressed == 1


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--baseline", "enforce", "--profile"], "profile is nested too deeply"),
        (["--image-files"], "image file list is nested too deeply"),
    ],
)
def test_a_deeply_nested_profile_or_file_list_is_one_line(
    tmp_path: Path, args: list[str], error: str
) -> None:
    # msgspec raises RecursionError (not DecodeError) past its depth: was a traceback
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    done = run_seawall("detect", "-s", "k8saudit", *args, str(deep), str(EVENT))
    assert done.returncode == 2
    assert done.stderr.decode().strip() == f"seawall: error: {deep}: {error}"
