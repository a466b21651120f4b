"""Credentials out of inventory records: attributes, env values, app settings, connection
strings, SAS signatures and access keys are replaced before a record is stored or reported."""

from __future__ import annotations

import re
from typing import Any

# Attributes that hold credentials in Terraform state and `terraform show -json` output
# (which prints sensitive values in clear) or provider records: AKS kube configs, GKE
# masterAuth, keys, passwords. Compared lower-cased without `_` (client_key == clientKey).
CREDENTIAL_ATTRIBUTES = frozenset(
    {
        "kube_config_raw",
        "kube_admin_config_raw",
        "client_key",
        "client_certificate",
        "client_secret",
        "password",
        "admin_password",
        "private_key",
        "access_key",
        "secret_key",
        "primary_access_key",
        "secondary_access_key",
        "primary_connection_string",
        "secondary_connection_string",
        "token",
        "auth_token",
    }
)
_CREDENTIAL_KEYS = frozenset(k.replace("_", "") for k in CREDENTIAL_ATTRIBUTES)
REDACTED = "<redacted>"


# A key whose string value is a credential whatever its exact name (app settings such as
# DOCKER_REGISTRY_SERVER_PASSWORD, Lambda variables such as DB_PASSWORD, connectionString);
# in a {name: ..., value: ...} entry (container env, ECS environment, Azure appSettings),
# the name decides for the value. Only non-empty strings are replaced, so booleans such
# as automountServiceAccountToken and "is it set" checks stay as they were.
_SECRET_KEY = re.compile(
    r"passw(?:or)?d|pwd|secret|token|api_?key|private_?key|access_?key|account_?key|"
    r"shared_?access|connection_?string|credential|auth_?key|sas_?url|sas_?token",
    re.I,
)
_VALUE_KEYS = frozenset({"value", "Value", "connectionString", "secureValue"})
# Keys holding environment variables or app settings (lower-cased, without `_`): their
# values are configuration that routinely carries credentials under any name.
_ENV_KEYS = frozenset(
    {"env", "environment", "variables", "appsettings", "environmentvariables", "envvars"}
)
_NAME_KEYS = ("name", "Name", "key")
# A key whose whole value is a copy of the object: kubectl's last-applied-configuration.
_COPY_KEYS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
# (`word:` only with a space or quote after it: `vault-token:latest` is an image tag.)
# Credentials inside any string: connection-string and command-line `password=...`, URL
# query signatures/tokens (SAS, presigned), user:password@ in URLs, AWS access key ids.
_SECRET_IN_TEXT = re.compile(
    r"(?i)((?:passw(?:or)?d|pwd|secret|token|account[_-]?key|shared[_-]?access[_-]?key|"
    r"access[_-]?key|api[_-]?key)\"?\s{0,8}(?:=|:(?=[\s\"']))\s{0,8}\"?)(?!<redacted>)"
    r"[^\s;&\"',]+"
    r"|([?&](?:sig|signature|x-amz-signature|x-amz-security-token|x-goog-signature|"
    r"access_token|token|code|key)=)[^&#\s\"']+"
    r"|(\b[a-z][a-z0-9+.-]{0,31}://[^/\s:@]{0,256}:)[^@/\s]{1,256}(?=@)"
    r"|\b(?-i:AKIA|ASIA)[0-9A-Z]{16}\b"
)  # every repeat before a fixed text is bounded: linear in the string's length


def _may_hold_secret_text(text: str) -> bool:
    """False when no alternative of _SECRET_IN_TEXT can match (most strings: names, paths,
    timestamps): substring tests instead of the case-insensitive regex."""
    if "KIA" in text or "SIA" in text or ("@" in text and "://" in text):
        return True
    if "=" not in text and ":" not in text:
        return False
    if ("?" in text or "&" in text) and "=" in text:
        return True
    low = text.lower()
    return "pass" in low or "pwd" in low or "secret" in low or "token" in low or "key" in low


def _redact_text(text: str) -> str:
    if not _may_hold_secret_text(text) or not _SECRET_IN_TEXT.search(text):
        return text
    return _SECRET_IN_TEXT.sub(_keep_label, text)


def _keep_label(match: re.Match[str]) -> str:
    return (match.group(1) or match.group(2) or match.group(3) or "") + REDACTED


def _secret_literal(value: str) -> str:
    # a Terraform reference (`${var.db_password}`) or a flag is not the secret itself
    if (value.startswith("${") and value.endswith("}")) or value in ("true", "false"):
        return value
    return REDACTED


_NORMAL, _ENV, _SECRET, _CREDENTIAL, _REFERENCE = 0, 1, 2, 3, 4
# Keys that name a secret rather than hold it (secretKeyRef, secretRef, configMapKeyRef,
# envFrom's secretRef, a volume's secretName, imagePullSecrets, ECS valueFrom ARNs): what is
# under them (Cloud Run's secretKeyRef {secret, version} too) is looked at as ordinary text,
# whatever key or mode surrounds them; credential attributes are still replaced.
_REFERENCE_KEYS = frozenset({"secretname", "imagepullsecrets", "valuefrom"})
# Inside a secret-like key, these name an entry (a Container App secret's name, a secret
# volume item's path) and are kept; everything else there is replaced.
_ENTRY_NAME_KEYS = frozenset({"name", "Name", "path"})
_key_kinds: dict[Any, int] = {}  # keys recur in every object: classified once


def _key_kind(key: Any) -> int:
    kind = _key_kinds.get(key)
    if kind is None:
        text = str(key)
        folded = text.lower().replace("_", "")
        if folded in _CREDENTIAL_KEYS or text in _COPY_KEYS:
            kind = _CREDENTIAL
        elif folded.endswith(("ref", "refs")) or folded in _REFERENCE_KEYS:
            kind = _REFERENCE
        elif _SECRET_KEY.search(text):
            kind = _SECRET
        elif folded in _ENV_KEYS:
            kind = _ENV
        else:
            kind = _NORMAL
        if len(_key_kinds) < 16_384 and len(text) <= 64:
            _key_kinds[key] = kind
    return kind


def _names_a_secret(entry: dict[Any, Any]) -> bool:
    """Whether a {name: ..., value: ...} entry is named like a credential (an Elastic
    Beanstalk option setting DB_PASSWORD, a name/value pair outside any env key)."""
    for key in _NAME_KEYS:
        name = entry.get(key)
        if isinstance(name, str) and _SECRET_KEY.search(name):
            return True
    return False


def redact_credentials(value: Any, mode: int = _NORMAL) -> Any:
    """A copy of a resource body with credentials replaced by `<redacted>`: credential
    attributes; string values under credential-like keys (secrets, *password*, *token*,
    connectionString, ...); the values (not the names) of environment variables and app
    settings (container env, ECS environment, Lambda variables, Azure appSettings);
    passwords, signatures, tokens and access key ids inside any other string. An empty or
    null value stays as it is ("is it set" is still answerable), and so do Terraform
    references and booleans."""
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        entry: bool | None = None  # a {name: ..., value: ...} entry (computed when needed)
        kinds = _key_kinds
        for k, v in value.items():
            if not v:  # None, "", [], {}, 0, false: kept as they are
                out[k] = v
                continue
            kind = kinds.get(k)
            if kind is None:
                kind = _key_kind(k)
            if kind == _CREDENTIAL:
                out[k] = REDACTED
                continue
            if kind == _REFERENCE or mode == _REFERENCE:
                inner = _REFERENCE  # everything under a reference names, never holds
            elif kind == _ENV and type(v) is str and mode == _NORMAL:
                inner = _NORMAL  # a tag or label named env ("env": "prod"), not variables
            else:
                inner = kind if kind > mode else mode
            if type(v) is str and inner == _NORMAL:  # the common case first, inline
                if k in _VALUE_KEYS and _names_a_secret(value):
                    out[k] = _secret_literal(v)  # {name: DB_PASSWORD, value: ...} anywhere
                    continue
                no_secret = "=" not in v and ":" not in v and "KIA" not in v and "SIA" not in v
                out[k] = v if no_secret else _redact_text(v)
            elif isinstance(v, str):
                if inner in (_NORMAL, _REFERENCE):
                    secret = k in _VALUE_KEYS and _names_a_secret(value)
                    out[k] = _secret_literal(v) if secret else _redact_text(v)
                elif inner == _SECRET:
                    named = kind == _NORMAL and k in _ENTRY_NAME_KEYS
                    out[k] = _redact_text(v) if named else _secret_literal(v)
                else:  # environment: values, not the names of entries
                    if entry is None:
                        entry = any(isinstance(value.get(n), str) for n in _NAME_KEYS)
                    redact = not entry or k in _VALUE_KEYS
                    out[k] = _secret_literal(v) if redact else _redact_text(v)
            elif isinstance(v, dict | list):
                out[k] = redact_credentials(v, inner)
            else:
                out[k] = v
        return out
    if isinstance(value, list):
        return [redact_credentials(v, mode) for v in value]
    if isinstance(value, str):
        return _redact_text(value) if mode in (_NORMAL, _REFERENCE) else _secret_literal(value)
    return value


# Whatever redact_credentials could change shows in the lower-cased JSON text of a record:
# a credential-like word or key, an environment key, kubectl's copy annotation, a URL
# signature or password, an access key id. Substring tests over msgspec's encoding (a few
# microseconds) let the records without any of them be kept as they are, without a walk.
_MAY_HOLD_CREDENTIALS = (
    b"pass", b"pwd", b"secret", b"token", b"key", b"shared", b"connection", b"credential",
    b"sas", b"kube", b"cert", b"last-applied", b'"env', b'"variables"', b'"app_settings"',
    b'"appsettings"', b"sig",
    b"x-amz-", b"x-goog", b"code=", b"@", b"akia", b"asia",
)  # fmt: skip


def redacted_raw(value: Any) -> Any:
    """`redacted_record`, returning `value` itself when its JSON text shows nothing that
    could need redacting (the common manifest: no env, no secret-like key or text)."""
    import msgspec

    try:
        text = msgspec.json.encode(value).lower()
    except (TypeError, ValueError, OverflowError, RecursionError):
        return redacted_record(value)  # (YAML dates, odd keys) walk it
    for word in _MAY_HOLD_CREDENTIALS:
        if word in text:
            return redacted_record(value)
    return value


def redacted_record(value: Any) -> Any:
    """`redact_credentials` for provider records; a record nested too deeply to walk is
    replaced by a note rather than copied unchecked."""
    try:
        return redact_credentials(value)
    except RecursionError:
        return {"seawall_note": "record nested too deeply; not kept"}
