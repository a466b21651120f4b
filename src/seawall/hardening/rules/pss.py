"""Pod Security Standards, baseline and restricted, as `k8s.io/pod-security-admission`
(policy/check_*.go) defines them, per Kubernetes version.

Each upstream check is one rule; `Context.pss_version` picks the versioned variant (a check
whose minimum version is above the requested one does not apply). Init and ephemeral
containers are visited like regular ones, as upstream's visitContainers does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from seawall.hardening.engine import POD, Context, Target, Violation, rule
from seawall.hardening.rules.podspec import (
    annotations_of,
    container_sc,
    containers,
    is_windows,
    name_of,
    pod_sc,
    spec_of,
    sub,
    truthy,
)
from seawall.model import Severity

PSS_URL = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
NSA_POD = "Kubernetes Pod security: Pod security enforcement"
PSS_VERSIONS = tuple((1, minor) for minor in range(0, 38))


def parse_pss_version(text: str) -> tuple[int, int]:
    """'1.31', 'v1.31' or 'latest' -> (1, 31); raises ValueError otherwise."""
    value = text.strip().lower().removeprefix("v")
    if value == "latest":
        return PSS_VERSIONS[-1]
    parts = value.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"invalid --pss-version {text!r} (expected e.g. 1.31 or latest)")
    version = (int(parts[0]), int(parts[1]))
    if version[0] != 1:
        raise ValueError(f"unsupported --pss-version {text!r} (Kubernetes 1.x only)")
    # Newer than seawall knows: upstream keeps the latest variant of each check.
    return min(version, PSS_VERSIONS[-1])


def _b(check_id: str) -> str:
    return f"baseline/{check_id}"


def _r(check_id: str) -> str:
    return f"restricted/{check_id}"


# --- baseline ------------------------------------------------------------------------


@rule(
    "pss-baseline-host-namespaces",
    "Pod shares the host's network, PID or IPC namespace",
    Severity.HIGH,
    [POD],
    remediation="Remove hostNetwork, hostPID and hostIPC (or set them to false).",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_b("hostNamespaces"),
    azure_policy="47a1ee2f-2a2a-4576-bf2a-e0e36709c2b8",
    checkov=["CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"],
    cis=[
        "k8s-1.10:5.2.3",
        "k8s-1.10:5.2.4",
        "k8s-1.10:5.2.5",
        "eks-1.8.0:4.2.2",
        "eks-1.8.0:4.2.3",
        "eks-1.8.0:4.2.4",
        "aks-1.8:4.2.2",
        "aks-1.8:4.2.3",
        "aks-1.8:4.2.4",
    ],
)
def host_namespaces(target: Target, ctx: Context) -> Iterator[Violation]:
    spec = spec_of(target.obj)
    for key, check in (
        ("hostNetwork", "CKV_K8S_19"),
        ("hostPID", "CKV_K8S_17"),
        ("hostIPC", "CKV_K8S_18"),
    ):
        if truthy(spec.get(key)):
            yield Violation(f"spec.{key}", f"{key}=true", checkov=(check,))


@rule(
    "pss-baseline-privileged",
    "Container runs privileged",
    Severity.CRITICAL,
    [POD],
    remediation="Remove securityContext.privileged or set it to false.",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_b("privileged"),
    azure_policy="95edb821-ddaf-4404-9732-666045e056b4",
    checkov="CKV_K8S_16",
    cis=["k8s-1.10:5.2.2", "eks-1.8.0:4.2.1", "aks-1.8:4.2.1"],
)
def privileged(target: Target, ctx: Context) -> Iterator[Violation]:
    for path, c in containers(target.obj):
        if truthy(container_sc(c).get("privileged")):
            yield Violation(
                f"{path}.securityContext.privileged",
                f"container {name_of(c)!r} sets privileged=true",
            )


BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


@rule(
    "pss-baseline-capabilities",
    "Container adds a capability beyond the baseline default set",
    Severity.HIGH,
    [POD],
    remediation="Only add capabilities from the baseline set (e.g. NET_BIND_SERVICE).",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_b("capabilities_baseline"),
    azure_policy="c26596ff-4d70-4e6a-9a30-c2506bd2f80c",
    checkov="CKV_K8S_39",
    cis=["k8s-1.10:5.2.9"],
)
def capabilities_baseline(target: Target, ctx: Context) -> Iterator[Violation]:
    for path, c in containers(target.obj):
        added = sub(container_sc(c), "capabilities", "add")
        if not isinstance(added, list):
            continue
        bad = [str(cap) for cap in added if str(cap) not in BASELINE_CAPABILITIES]
        if bad:
            yield Violation(
                f"{path}.securityContext.capabilities.add",
                f"container {name_of(c)!r} adds {', '.join(bad)}",
            )


@rule(
    "pss-baseline-host-path-volumes",
    "Pod mounts a hostPath volume",
    Severity.HIGH,
    [POD],
    remediation="Use a PersistentVolumeClaim, emptyDir or configMap instead of hostPath.",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_b("hostPathVolumes"),
    azure_policy="098fc59e-46c7-4d99-9b16-64990e543d75",
    cis=["k8s-1.10:5.2.12"],
)
def host_path_volumes(target: Target, ctx: Context) -> Iterator[Violation]:
    volumes = spec_of(target.obj).get("volumes")
    if not isinstance(volumes, list):
        return
    for i, v in enumerate(volumes):
        if isinstance(v, dict) and v.get("hostPath") is not None:
            path = sub(v, "hostPath", "path")
            yield Violation(
                f"spec.volumes[{i}].hostPath", f"volume {v.get('name')!r} mounts host {path}"
            )


@rule(
    "pss-baseline-host-ports",
    "Container binds a host port",
    Severity.MEDIUM,
    [POD],
    remediation="Remove hostPort; expose the port through a Service.",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_b("hostPorts"),
    azure_policy="82985f06-dc18-4a48-bc1c-b9f4f0098cfe",
    checkov="CKV_K8S_26",
    cis=["k8s-1.10:5.2.13"],
)
def host_ports(target: Target, ctx: Context) -> Iterator[Violation]:
    for path, c in containers(target.obj):
        ports = c.get("ports")
        if not isinstance(ports, list):
            continue
        for i, p in enumerate(ports):
            if isinstance(p, dict) and p.get("hostPort") not in (None, 0, "0"):
                yield Violation(
                    f"{path}.ports[{i}].hostPort",
                    f"container {name_of(c)!r} uses hostPort {p.get('hostPort')}",
                )


APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


@rule(
    "pss-baseline-apparmor",
    "Pod or container overrides or disables the default AppArmor profile",
    Severity.MEDIUM,
    [POD],
    remediation="Use AppArmor profile type RuntimeDefault or Localhost (or leave it unset).",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_b("appArmorProfile"),
    azure_policy="511f5417-5d12-434d-ab2e-816901e72a5e",
)
def apparmor(target: Target, ctx: Context) -> Iterator[Violation]:
    allowed_types = ("RuntimeDefault", "Localhost")
    pod_profile = pod_sc(target.obj).get("appArmorProfile")
    if isinstance(pod_profile, dict) and pod_profile.get("type") not in allowed_types:
        yield Violation(
            "spec.securityContext.appArmorProfile.type",
            f"pod sets AppArmor profile type {pod_profile.get('type')}",
        )
    for path, c in containers(target.obj):
        profile = container_sc(c).get("appArmorProfile")
        if isinstance(profile, dict) and profile.get("type") not in allowed_types:
            yield Violation(
                f"{path}.securityContext.appArmorProfile.type",
                f"container {name_of(c)!r} sets AppArmor profile type {profile.get('type')}",
            )
    for key, value in annotations_of(target.obj).items():
        if not str(key).startswith(APPARMOR_ANNOTATION):
            continue
        text = "" if value is None else str(value)
        if text and text != "runtime/default" and not text.startswith("localhost/"):
            yield Violation(f"metadata.annotations['{key}']", f"{key}={text!r}")


SELINUX_TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
SELINUX_TYPES_1_31 = SELINUX_TYPES_1_0 | {"container_engine_t"}


@rule(
    "pss-baseline-selinux",
    "Pod or container sets a custom SELinux type, user or role",
    Severity.MEDIUM,
    [POD],
    remediation="Leave seLinuxOptions.user/role unset and use a container_* type.",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_b("seLinuxOptions"),
)
def selinux(target: Target, ctx: Context) -> Iterator[Violation]:
    allowed = SELINUX_TYPES_1_31 if ctx.pss_version >= (1, 31) else SELINUX_TYPES_1_0

    def bad(opts: Any) -> list[str]:
        if not isinstance(opts, dict):
            return []
        problems = []
        if str(opts.get("type") or "") not in allowed:
            problems.append(f"type {opts.get('type')}")
        if opts.get("user"):
            problems.append("user set")
        if opts.get("role"):
            problems.append("role set")
        return problems

    problems = bad(pod_sc(target.obj).get("seLinuxOptions"))
    if problems:
        yield Violation("spec.securityContext.seLinuxOptions", "pod: " + ", ".join(problems))
    for path, c in containers(target.obj):
        problems = bad(container_sc(c).get("seLinuxOptions"))
        if problems:
            yield Violation(
                f"{path}.securityContext.seLinuxOptions",
                f"container {name_of(c)!r}: " + ", ".join(problems),
            )


def _proc_mount(target: Target) -> Iterator[Violation]:
    for path, c in containers(target.obj):
        value = container_sc(c).get("procMount")
        if value is not None and value != "Default":
            yield Violation(
                f"{path}.securityContext.procMount",
                f"container {name_of(c)!r} sets procMount={value}",
            )


@rule(
    "pss-baseline-proc-mount",
    "Container unmasks /proc",
    Severity.MEDIUM,
    [POD],
    remediation="Remove securityContext.procMount or set it to Default.",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_b("procMount_baseline"),  # "procMount" before the 1.35 split
)
def proc_mount_baseline(target: Target, ctx: Context) -> Iterator[Violation]:
    # 1.35+: any value is allowed in a user namespace (hostUsers: false).
    if ctx.pss_version >= (1, 35) and spec_of(target.obj).get("hostUsers") is False:
        return
    yield from _proc_mount(target)


SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"


@rule(
    "pss-baseline-seccomp",
    "Pod or container sets the seccomp profile to Unconfined",
    Severity.MEDIUM,
    [POD],
    remediation="Use seccompProfile type RuntimeDefault or Localhost.",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_b("seccompProfile_baseline"),
    azure_policy="975ce327-682c-4f2e-aa46-b9598289b86c",
)
def seccomp_baseline(target: Target, ctx: Context) -> Iterator[Violation]:
    if ctx.pss_version < (1, 19):
        for key, value in annotations_of(target.obj).items():
            key = str(key)
            if (
                key == SECCOMP_POD_ANNOTATION or key.startswith(SECCOMP_CONTAINER_ANNOTATION)
            ) and value == "unconfined":
                yield Violation(f"metadata.annotations['{key}']", f"{key}=unconfined")
        return
    if sub(pod_sc(target.obj), "seccompProfile", "type") == "Unconfined":
        yield Violation("spec.securityContext.seccompProfile.type", "pod seccomp Unconfined")
    for path, c in containers(target.obj):
        if sub(container_sc(c), "seccompProfile", "type") == "Unconfined":
            yield Violation(
                f"{path}.securityContext.seccompProfile.type",
                f"container {name_of(c)!r} seccomp Unconfined",
            )


SYSCTLS_1_0 = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    }
)
SYSCTLS_1_27 = SYSCTLS_1_0 | {"net.ipv4.ip_local_reserved_ports"}
SYSCTLS_1_29 = SYSCTLS_1_27 | {
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
SYSCTLS_1_32 = SYSCTLS_1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}
# sysctlsAllowedV1Dot37 (kubernetes PR #138389)
SYSCTLS_1_37 = SYSCTLS_1_32 | {"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}


def allowed_sysctls(version: tuple[int, int]) -> frozenset[str]:
    if version >= (1, 37):
        return SYSCTLS_1_37
    if version >= (1, 32):
        return SYSCTLS_1_32
    if version >= (1, 29):
        return SYSCTLS_1_29
    if version >= (1, 27):
        return SYSCTLS_1_27
    return SYSCTLS_1_0


@rule(
    "pss-baseline-sysctls",
    "Pod sets an unsafe sysctl",
    Severity.MEDIUM,
    [POD],
    remediation="Only set sysctls from the Pod Security Standards' safe set.",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_b("sysctls"),
)
def sysctls(target: Target, ctx: Context) -> Iterator[Violation]:
    items = pod_sc(target.obj).get("sysctls")
    if not isinstance(items, list):
        return
    allowed = allowed_sysctls(ctx.pss_version)
    for i, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        if name not in allowed:
            yield Violation(f"spec.securityContext.sysctls[{i}].name", f"sysctl {name}")


@rule(
    "pss-baseline-host-process",
    "Pod or container runs as a Windows HostProcess",
    Severity.HIGH,
    [POD],
    remediation="Remove windowsOptions.hostProcess.",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_b("windowsHostProcess"),
    cis="k8s-1.10:5.2.11",
)
def host_process(target: Target, ctx: Context) -> Iterator[Violation]:
    if truthy(sub(pod_sc(target.obj), "windowsOptions", "hostProcess")):
        yield Violation("spec.securityContext.windowsOptions.hostProcess", "pod hostProcess")
    for path, c in containers(target.obj):
        if truthy(sub(container_sc(c), "windowsOptions", "hostProcess")):
            yield Violation(
                f"{path}.securityContext.windowsOptions.hostProcess",
                f"container {name_of(c)!r} hostProcess=true",
            )


@rule(
    "pss-baseline-probe-host",
    "Probe or lifecycle handler targets another host",
    Severity.MEDIUM,
    [POD],
    remediation="Remove the host field from httpGet/tcpSocket probes and lifecycle hooks.",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_b("hostProbesAndHostLifecycle"),
)
def probe_host(target: Target, ctx: Context) -> Iterator[Violation]:
    if ctx.pss_version < (1, 34):
        return
    for path, c in containers(target.obj):
        handlers = [
            (f"{key}", c.get(key)) for key in ("livenessProbe", "readinessProbe", "startupProbe")
        ]
        handlers += [
            (f"lifecycle.{key}", sub(c, "lifecycle", key)) for key in ("postStart", "preStop")
        ]
        for hpath, handler in handlers:
            if not isinstance(handler, dict):
                continue
            for action in ("httpGet", "tcpSocket"):
                host = sub(handler, action, "host")
                if host:
                    yield Violation(
                        f"{path}.{hpath}.{action}.host",
                        f"container {name_of(c)!r} {hpath} targets host {host}",
                    )


# --- restricted ----------------------------------------------------------------------


def _user_namespace_relaxed(target: Target, ctx: Context) -> bool:
    """1.35+: runAsNonRoot and runAsUser do not apply to pods with hostUsers: false."""
    return ctx.pss_version >= (1, 35) and spec_of(target.obj).get("hostUsers") is False


RESTRICTED_VOLUME_SOURCES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",  # allowed in the 1.0 check itself since Kubernetes 1.33 (PR #130394)
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)


@rule(
    "pss-restricted-volume-types",
    "Pod uses a volume type outside the restricted set",
    Severity.LOW,
    [POD],
    remediation="Use configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
    "persistentVolumeClaim, projected or secret volumes.",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_r("restrictedVolumes"),
)
def restricted_volumes(target: Target, ctx: Context) -> Iterator[Violation]:
    volumes = spec_of(target.obj).get("volumes")
    if not isinstance(volumes, list):
        return
    for i, v in enumerate(volumes):
        if not isinstance(v, dict):
            continue
        sources = [k for k in v if k != "name"]
        if any(k in RESTRICTED_VOLUME_SOURCES for k in sources):
            continue
        kind = sources[0] if sources else "unknown"
        yield Violation(f"spec.volumes[{i}].{kind}", f"volume {v.get('name')!r} uses {kind}")


@rule(
    "pss-restricted-privilege-escalation",
    "Container allows privilege escalation",
    Severity.MEDIUM,
    [POD],
    remediation="Set securityContext.allowPrivilegeEscalation: false on every container.",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_r("allowPrivilegeEscalation"),
    azure_policy="1c6e92c9-99f0-4e55-9cf2-0c234dc48f99",
    checkov="CKV_K8S_20",
    cis=["k8s-1.10:5.2.6", "eks-1.8.0:4.2.5", "aks-1.8:4.2.5"],
)
def allow_privilege_escalation(target: Target, ctx: Context) -> Iterator[Violation]:
    if ctx.pss_version < (1, 8):
        return
    if ctx.pss_version >= (1, 25) and is_windows(target.obj):
        return
    for path, c in containers(target.obj):
        if container_sc(c).get("allowPrivilegeEscalation") is not False:
            yield Violation(
                f"{path}.securityContext.allowPrivilegeEscalation",
                f"container {name_of(c)!r} does not set allowPrivilegeEscalation=false",
            )


@rule(
    "pss-restricted-run-as-non-root",
    "Pod may run containers as root (runAsNonRoot not true)",
    Severity.MEDIUM,
    [POD],
    remediation="Set securityContext.runAsNonRoot: true on the pod (or every container).",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_r("runAsNonRoot"),
    checkov="CKV_K8S_23",
    cis="k8s-1.10:5.2.7",
)
def run_as_non_root(target: Target, ctx: Context) -> Iterator[Violation]:
    if _user_namespace_relaxed(target, ctx):
        return
    pod_value = pod_sc(target.obj).get("runAsNonRoot")
    if pod_value is False:
        yield Violation("spec.securityContext.runAsNonRoot", "pod sets runAsNonRoot=false")
    for path, c in containers(target.obj):
        value = container_sc(c).get("runAsNonRoot")
        if value is False:
            yield Violation(
                f"{path}.securityContext.runAsNonRoot",
                f"container {name_of(c)!r} sets runAsNonRoot=false",
            )
        elif value is None and pod_value is not True:
            yield Violation(
                f"{path}.securityContext.runAsNonRoot",
                f"container {name_of(c)!r} and the pod leave runAsNonRoot unset",
            )


@rule(
    "pss-restricted-run-as-user",
    "Pod or container sets runAsUser: 0",
    Severity.MEDIUM,
    [POD],
    remediation="Run as a non-zero UID.",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_r("runAsUser"),
)
def run_as_user(target: Target, ctx: Context) -> Iterator[Violation]:
    if ctx.pss_version < (1, 23) or _user_namespace_relaxed(target, ctx):
        return
    if pod_sc(target.obj).get("runAsUser") == 0:
        yield Violation("spec.securityContext.runAsUser", "pod sets runAsUser=0")
    for path, c in containers(target.obj):
        if container_sc(c).get("runAsUser") == 0:
            yield Violation(
                f"{path}.securityContext.runAsUser",
                f"container {name_of(c)!r} sets runAsUser=0",
            )


@rule(
    "pss-restricted-seccomp",
    "Seccomp profile not set to RuntimeDefault or Localhost",
    Severity.LOW,
    [POD],
    remediation="Set securityContext.seccompProfile.type: RuntimeDefault on the pod.",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_r("seccompProfile_restricted"),
    azure_policy="975ce327-682c-4f2e-aa46-b9598289b86c",
    checkov="CKV_K8S_31",
    cis=["k8s-1.10:5.7.2", "gke-1.9.0:4.6.2"],
)
def seccomp_restricted(target: Target, ctx: Context) -> Iterator[Violation]:
    if ctx.pss_version < (1, 19):
        return
    if ctx.pss_version >= (1, 25) and is_windows(target.obj):
        return
    ok = ("RuntimeDefault", "Localhost")
    pod_type = sub(pod_sc(target.obj), "seccompProfile", "type")
    if pod_type is not None and pod_type not in ok:
        yield Violation("spec.securityContext.seccompProfile.type", f"pod seccomp {pod_type}")
    for path, c in containers(target.obj):
        c_type = sub(container_sc(c), "seccompProfile", "type")
        if c_type is not None and c_type not in ok:
            yield Violation(
                f"{path}.securityContext.seccompProfile.type",
                f"container {name_of(c)!r} seccomp {c_type}",
            )
        elif c_type is None and pod_type is None:
            yield Violation(
                f"{path}.securityContext.seccompProfile",
                f"container {name_of(c)!r} and the pod leave seccompProfile unset",
            )


@rule(
    "pss-restricted-capabilities",
    "Container does not drop ALL capabilities or adds one besides NET_BIND_SERVICE",
    Severity.MEDIUM,
    [POD],
    remediation="Set capabilities.drop: [ALL] and add at most NET_BIND_SERVICE.",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_r("capabilities_restricted"),
    azure_policy="c26596ff-4d70-4e6a-9a30-c2506bd2f80c",
    checkov=["CKV_K8S_37", "CKV_K8S_25"],
    cis=["k8s-1.10:5.2.10", "k8s-1.10:5.2.9"],
)
def capabilities_restricted(target: Target, ctx: Context) -> Iterator[Violation]:
    if ctx.pss_version < (1, 22):
        return
    if ctx.pss_version >= (1, 25) and is_windows(target.obj):
        return
    for path, c in containers(target.obj):
        caps = container_sc(c).get("capabilities")
        caps = caps if isinstance(caps, dict) else {}
        drop_raw = caps.get("drop")
        drop: list[Any] = drop_raw if isinstance(drop_raw, list) else []
        if "ALL" not in [str(d) for d in drop]:
            yield Violation(
                f"{path}.securityContext.capabilities.drop",
                f"container {name_of(c)!r} does not drop ALL",
                checkov=("CKV_K8S_37",),
            )
        add_raw = caps.get("add")
        add: list[Any] = add_raw if isinstance(add_raw, list) else []
        extra = [str(a) for a in add if str(a) != "NET_BIND_SERVICE"]
        if extra:
            yield Violation(
                f"{path}.securityContext.capabilities.add",
                f"container {name_of(c)!r} adds {', '.join(extra)}",
                checkov=("CKV_K8S_25",),
            )


@rule(
    "pss-restricted-proc-mount",
    "Container unmasks /proc (restricted: even in a user namespace)",
    Severity.MEDIUM,
    [POD],
    remediation="Remove securityContext.procMount or set it to Default.",
    url=PSS_URL,
    nsa_cisa=NSA_POD,
    pss=_r("procMount_restricted"),
)
def proc_mount_restricted(target: Target, ctx: Context) -> Iterator[Violation]:
    # Split from the baseline check in 1.35; before that the baseline check covers it.
    if ctx.pss_version < (1, 35) or spec_of(target.obj).get("hostUsers") is not False:
        return
    yield from _proc_mount(target)
