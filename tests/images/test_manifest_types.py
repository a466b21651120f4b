"""Index, manifest and manifest.json fields of the wrong type: one InputError line naming
the image (before: AttributeError / TypeError / IndexError tracebacks)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from images_build import DEBIAN_OS_RELEASE, layer_tar, oci_layout

from seawall.errors import InputError
from seawall.images.scan import catalog_image


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEAWALL_CACHE_DIR", str(tmp_path / "cache"))


def _blob(root: Path, doc: object) -> str:
    data = json.dumps(doc).encode()
    digest = hashlib.sha256(data).hexdigest()
    (root / "blobs" / "sha256" / digest).write_bytes(data)
    return f"sha256:{digest}"


INDEX = "application/vnd.oci.image.index.v1+json"


@pytest.mark.parametrize(
    ("shape", "ref", "message"),
    [
        ("no-dict-manifests", "", "index lists no manifests"),
        ("nested-index-not-object", "", "index lists no manifests"),
        ("annotations-not-object", ":1.0", "no manifest tagged '1.0'"),
    ],
)
def test_oci_index_fields_of_the_wrong_type(
    tmp_path: Path, shape: str, ref: str, message: str
) -> None:
    root = oci_layout(tmp_path / "layout", [layer_tar({"etc/os-release": DEBIAN_OS_RELEASE})])
    index = json.loads((root / "index.json").read_text())
    if shape == "no-dict-manifests":
        index["manifests"] = ["sha256:" + "0" * 64]
    elif shape == "nested-index-not-object":
        index["manifests"] = [{"mediaType": INDEX, "digest": _blob(root, "just a string")}]
    else:
        index["manifests"][0]["annotations"] = ["org.opencontainers.image.ref.name", "1.0"]
    (root / "index.json").write_text(json.dumps(index))
    with pytest.raises(InputError, match=message):
        catalog_image(f"oci-layout:{root}{ref}")


def test_repo_tags_that_are_not_a_list_of_strings(tmp_path: Path) -> None:
    layer = layer_tar({"etc/os-release": DEBIAN_OS_RELEASE})
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = json.dumps({"os": "linux", "rootfs": {"diff_ids": [diff_id]}}).encode()
    manifest = [
        {"Config": "c.json", "RepoTags": 5, "Layers": ["l/layer.tar"]},
        {"Config": "c.json", "RepoTags": ["shop/app:2.0", 7], "Layers": ["l/layer.tar"]},
    ]
    path = tmp_path / "a.tar"
    with tarfile.open(path, "w") as tar:
        for name, data in (
            ("l/layer.tar", layer),
            ("c.json", config),
            ("manifest.json", json.dumps(manifest).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with pytest.raises(InputError, match=r"2 images in the archive; .*\(tags: shop/app:2.0\)"):
        catalog_image(f"docker-archive:{path}")
    catalog = catalog_image(f"docker-archive:{path}:2.0")
    assert catalog.os is not None and catalog.os.id == "debian"
