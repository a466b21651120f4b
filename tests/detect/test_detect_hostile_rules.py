"""Hostile input ends quickly: alias bombs, exponential macros, lists of lists, dead webhooks."""

from __future__ import annotations

import json
from pathlib import Path

from seawall_testlib import DATA, run_seawall

EVENT = DATA / "detect" / "events" / "k8s_audit" / "create_kube_system_secret.json"
PRIVILEGED = DATA / "detect" / "events" / "k8s_audit" / "create_nginx_pod_privileged.json"
RULE = [
    "- rule: r",
    "  desc: d",
    "  condition: {condition}",
    "  output: o",
    "  priority: WARNING",
    "  source: k8s_audit",
    "- rule: Secret",
    "  desc: still runs",
    "  condition: ka.verb=create and ka.target.resource=secrets",
    "  output: secret by %ka.user.name",
    "  priority: WARNING",
    "  source: k8s_audit",
]


def _rules(tmp_path: Path, lines: list[str], condition: str) -> Path:
    path = tmp_path / "hostile.yaml"
    body = [line.replace("{condition}", condition) for line in RULE]
    path.write_text("\n".join([*lines, *body]) + "\n")
    return path


def _detect(rules: Path) -> tuple[int, str, str]:
    done = run_seawall(
        "detect", "--rules", str(rules), "--source", "k8saudit", str(EVENT), timeout=60
    )
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def test_yaml_alias_bomb_is_refused_with_one_line(tmp_path: Path) -> None:
    lines = ["- list: l0", "  items: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines += [f"- list: l{i}", f"  items: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]"]
    code, out, err = _detect(_rules(tmp_path, lines, "ka.user.name in (l8)"))
    assert code == 2
    assert err.strip().endswith("refusing it")
    assert "hostile.yaml" in err and len(err.strip().splitlines()) == 1
    assert out == ""


def test_exponential_macro_disables_that_rule_only(tmp_path: Path) -> None:
    lines = ["- macro: m0", "  condition: ka.verb=create"]
    for i in range(1, 40):
        lines += [f"- macro: m{i}", f"  condition: (m{i - 1} or m{i - 1})"]
    code, out, err = _detect(_rules(tmp_path, lines, "m39"))
    assert code == 0
    assert "r: condition expands to more than" in err
    assert "secret by admin" in out  # the other rule still ran


def test_list_of_lists_bomb_disables_that_rule_only(tmp_path: Path) -> None:
    lines = ["- list: l0", "  items: [a, b, c, d, e, f, g, h, i, j]"]
    for i in range(1, 9):
        lines += [f"- list: l{i}", f"  items: [{', '.join([f'l{i - 1}'] * 10)}]"]
    code, out, err = _detect(_rules(tmp_path, lines, "ka.user.name in (l8)"))
    assert code == 0
    assert "items (rule disabled)" in err
    assert "secret by admin" in out


def test_webhook_secrets_never_reach_the_terminal(tmp_path: Path) -> None:
    secret = "http://127.0.0.1:1/services/T0/B0/S3CRETTOKEN?token=S3CRET2"
    rules = str(DATA / "detect" / "rules" / "k8s_audit_rules.yaml")
    done = run_seawall(
        "detect", "--rules", rules, "--source", "k8saudit", str(PRIVILEGED), "--webhook", secret
    )
    assert done.returncode == 0
    assert b"could not be delivered to http://127.0.0.1:1/..." in done.stderr
    assert b"S3CRET" not in done.stderr + done.stdout
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/S3CRET"):
        out = tmp_path / "out.json"
        bad = run_seawall(
            "detect", "--source", "k8saudit", str(EVENT), "--webhook", url, "--output", str(out)
        )
        assert bad.returncode == 2
        assert b"--webhook: expected an http(s) URL" in bad.stderr
        assert b"S3CRET" not in bad.stderr and b"passwd" not in bad.stderr
        assert not out.exists()
    typo = run_seawall("detect", "serve", "--listen", "127.0.0.1:0", "--sink", "webhok:" + secret)
    assert typo.returncode == 2
    assert b"S3CRET" not in typo.stderr and b"--sink webhok:..." in typo.stderr


def test_a_dead_webhook_is_given_up_after_three_alerts_not_retried_for_each(
    tmp_path: Path,
) -> None:
    import http.server
    import threading

    attempts: list[str] = []

    class Failing(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            attempts.append(self.path)
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    audit = tmp_path / "audit.log"
    k8s = DATA / "detect" / "events" / "k8s_audit"
    audit.write_bytes(
        b"".join(p.read_bytes().strip() + b"\n" for p in sorted(k8s.glob("create_*")))
    )
    rules = str(DATA / "detect" / "rules" / "k8s_audit_rules.yaml")
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        done = run_seawall(
            "detect", "--rules", rules, "--source", "k8saudit", str(audit), "--webhook", url,
            "--format", "json",
        )  # fmt: skip
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr
    alerts = len(json.loads(done.stdout)["findings"])
    assert alerts > 10
    assert f"{alerts} alert(s) could not be delivered".encode() in done.stderr
    assert len(attempts) == 3 * 4  # three alerts, each tried once and retried three times
