"""Image references: transports, tags, digests and the errors a user sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawall.errors import InputError
from seawall.images.reference import parse_reference


def test_transports_parse_to_location_and_tag() -> None:
    ref = parse_reference("oci-layout:./layout:1.0")
    assert (ref.transport, ref.location, ref.tag) == ("oci-layout", "./layout", "1.0")
    ref = parse_reference("docker-archive:/tmp/app.tar")
    assert (ref.transport, ref.location, ref.tag) == ("docker-archive", "/tmp/app.tar", None)
    ref = parse_reference("dir:/srv/rootfs")
    assert (ref.transport, ref.location) == ("dir", "/srv/rootfs")
    digest = "sha256:" + "a" * 64
    ref = parse_reference(f"oci-layout:/x/y@{digest}")
    assert (ref.location, ref.digest, ref.tag) == ("/x/y", digest, None)
    assert str(parse_reference("oci-archive:img.tar:v2")) == "oci-archive:img.tar:v2"


def test_unknown_transport_is_a_one_line_input_error() -> None:
    with pytest.raises(InputError, match="unknown transport 'podman'"):
        parse_reference("podman:thing")


def test_bare_paths_are_recognised(tmp_path: Path) -> None:
    (tmp_path / "layout").mkdir()
    (tmp_path / "layout" / "index.json").write_text("{}")
    assert parse_reference(str(tmp_path / "layout")).transport == "oci-layout"
    assert parse_reference(str(tmp_path)).transport == "dir"
    with pytest.raises(InputError, match="no such file"):
        parse_reference(str(tmp_path / "missing.tar"))
