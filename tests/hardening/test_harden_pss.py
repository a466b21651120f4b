"""Pod Security Standards rules behave like upstream pod-security-admission, per version."""

from __future__ import annotations

from typing import Any

import pytest

from seawall.hardening.engine import POD, Context, Target, builtin_rules, evaluate
from seawall.hardening.rules.pss import parse_pss_version


def pod(spec: dict[str, Any], annotations: dict[str, str] | None = None) -> Target:
    return Target(
        kind=POD,
        asset="k8s:test/default/Pod/p",
        obj={"metadata": {"annotations": annotations or {}}, "spec": spec},
        path="pod.yaml",
        line=1,
    )


def fired(target: Target, version: str = "latest") -> dict[str, list[str]]:
    ctx = Context(pss_version=parse_pss_version(version))
    rules = [r for r in builtin_rules().values() if r.id.startswith("pss-")]
    out: dict[str, list[str]] = {}
    for r, _t, v in evaluate([target], rules, ctx):
        out.setdefault(r.id, []).append(v.field)
    return out


RESTRICTED_OK = {
    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [
        {
            "name": "app",
            "image": "x",
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            },
        }
    ],
}


def test_a_restricted_pod_passes_every_check() -> None:
    assert fired(pod(RESTRICTED_OK)) == {}


def test_privileged_init_and_ephemeral_containers_are_checked() -> None:
    spec = {
        "initContainers": [{"name": "init", "securityContext": {"privileged": True}}],
        "containers": [{"name": "app"}],
        "ephemeralContainers": [{"name": "dbg", "securityContext": {"privileged": True}}],
    }
    got = fired(pod(spec))
    assert got["pss-baseline-privileged"] == [
        "spec.initContainers[0].securityContext.privileged",
        "spec.ephemeralContainers[0].securityContext.privileged",
    ]


def test_host_namespaces_host_path_and_host_ports() -> None:
    spec = {
        "hostNetwork": True,
        "hostPID": True,
        "volumes": [{"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}}],
        "containers": [{"name": "app", "ports": [{"containerPort": 80, "hostPort": 8080}]}],
    }
    got = fired(pod(spec))
    assert got["pss-baseline-host-namespaces"] == ["spec.hostNetwork", "spec.hostPID"]
    assert got["pss-baseline-host-path-volumes"] == ["spec.volumes[0].hostPath"]
    assert got["pss-baseline-host-ports"] == ["spec.containers[0].ports[0].hostPort"]
    assert got["pss-restricted-volume-types"] == ["spec.volumes[0].hostPath"]


@pytest.mark.parametrize(
    ("sysctl", "version", "allowed"),
    [
        ("net.ipv4.ip_local_reserved_ports", "1.26", False),
        ("net.ipv4.ip_local_reserved_ports", "1.27", True),
        ("net.ipv4.tcp_keepalive_time", "1.28", False),
        ("net.ipv4.tcp_keepalive_time", "1.29", True),
        ("net.ipv4.tcp_rmem", "1.31", False),
        ("net.ipv4.tcp_rmem", "1.32", True),
        ("net.ipv4.tcp_notsent_lowat", "1.36", False),
        ("net.ipv4.tcp_notsent_lowat", "1.37", True),
        ("net.ipv4.tcp_slow_start_after_idle", "latest", True),
        ("kernel.msgmax", "latest", False),
    ],
)
def test_sysctl_allow_list_grows_by_version(sysctl: str, version: str, allowed: bool) -> None:
    spec = {"securityContext": {"sysctls": [{"name": sysctl, "value": "1"}]}, "containers": []}
    assert ("pss-baseline-sysctls" not in fired(pod(spec), version)) is allowed


def test_selinux_container_engine_t_allowed_from_1_31() -> None:
    spec = {"securityContext": {"seLinuxOptions": {"type": "container_engine_t"}}}
    assert "pss-baseline-selinux" in fired(pod(spec), "1.30")
    assert "pss-baseline-selinux" not in fired(pod(spec), "1.31")


def test_seccomp_annotation_before_1_19_field_after() -> None:
    ann = {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}
    assert "pss-baseline-seccomp" in fired(pod({"containers": []}, ann), "1.18")
    assert "pss-baseline-seccomp" not in fired(pod({"containers": []}, ann), "1.19")
    spec = {"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": []}
    assert fired(pod(spec), "1.19")["pss-baseline-seccomp"] == [
        "spec.securityContext.seccompProfile.type"
    ]


def test_apparmor_field_and_annotation() -> None:
    spec = {
        "containers": [
            {"name": "a", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}
        ]
    }
    ann = {"container.apparmor.security.beta.kubernetes.io/a": "unconfined"}
    got = fired(pod(spec, ann))["pss-baseline-apparmor"]
    assert "spec.containers[0].securityContext.appArmorProfile.type" in got
    assert "metadata.annotations['container.apparmor.security.beta.kubernetes.io/a']" in got
    ok = {"container.apparmor.security.beta.kubernetes.io/a": "localhost/my-profile"}
    assert "pss-baseline-apparmor" not in fired(pod({"containers": []}, ok))


def test_restricted_capabilities_only_from_1_22_and_not_for_windows() -> None:
    spec = {
        "containers": [{"name": "a", "securityContext": {"capabilities": {"add": ["NET_RAW"]}}}]
    }
    assert "pss-restricted-capabilities" not in fired(pod(spec), "1.21")
    assert fired(pod(spec), "1.22")["pss-restricted-capabilities"] == [
        "spec.containers[0].securityContext.capabilities.drop",
        "spec.containers[0].securityContext.capabilities.add",
    ]
    windows = {**spec, "os": {"name": "windows"}}
    assert "pss-restricted-capabilities" not in fired(pod(windows), "1.25")
    assert "pss-restricted-capabilities" in fired(pod(windows), "1.24")


def test_proc_mount_relaxed_in_user_namespace_from_1_35_but_not_restricted() -> None:
    spec = {
        "hostUsers": False,
        "containers": [{"name": "a", "securityContext": {"procMount": "Unmasked"}}],
    }
    assert "pss-baseline-proc-mount" in fired(pod(spec), "1.34")
    latest = fired(pod(spec), "1.35")
    assert "pss-baseline-proc-mount" not in latest
    assert "pss-restricted-proc-mount" in latest


def test_probe_host_only_from_1_34() -> None:
    spec = {"containers": [{"name": "a", "livenessProbe": {"httpGet": {"host": "10.0.0.1"}}}]}
    assert "pss-baseline-probe-host" not in fired(pod(spec), "1.33")
    assert fired(pod(spec), "1.34")["pss-baseline-probe-host"] == [
        "spec.containers[0].livenessProbe.httpGet.host"
    ]


def test_run_as_non_root_pod_level_covers_containers_but_explicit_false_fails() -> None:
    spec = {
        "securityContext": {"runAsNonRoot": True},
        "containers": [{"name": "a"}, {"name": "b", "securityContext": {"runAsNonRoot": False}}],
    }
    assert fired(pod(spec))["pss-restricted-run-as-non-root"] == [
        "spec.containers[1].securityContext.runAsNonRoot"
    ]
    spec2 = {"securityContext": {"runAsUser": 0}, "containers": []}
    assert "pss-restricted-run-as-user" not in fired(pod(spec2), "1.22")
    assert "pss-restricted-run-as-user" in fired(pod(spec2), "1.23")


def test_pss_version_parsing() -> None:
    assert parse_pss_version("v1.31") == (1, 31)
    assert parse_pss_version("1.99") == (1, 37)
    assert parse_pss_version("latest") == (1, 37)
    with pytest.raises(ValueError, match="pss-version"):
        parse_pss_version("abc")


def test_image_volumes_pass_restricted_at_every_version() -> None:
    spec = dict(RESTRICTED_OK)
    spec["volumes"] = [{"name": "model", "image": {"reference": "registry.example/m:1"}}]
    assert fired(pod(spec), "1.25") == {}
    assert fired(pod(spec)) == {}


def test_run_as_root_checks_skipped_in_a_user_namespace_from_1_35() -> None:
    spec = {
        "hostUsers": False,
        "securityContext": {"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": RESTRICTED_OK["containers"],
    }
    old = fired(pod(spec), "1.34")
    assert set(old) == {"pss-restricted-run-as-non-root", "pss-restricted-run-as-user"}
    assert fired(pod(spec), "1.35") == {}
