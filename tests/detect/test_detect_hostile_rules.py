"""Hostile rules files end quickly: alias bombs, exponential macros and lists of lists."""

from __future__ import annotations

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
