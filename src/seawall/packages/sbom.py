"""SBOM documents for a catalogued image: CycloneDX 1.6, SPDX 2.3, seawall JSON, a table."""

from __future__ import annotations

import datetime as _dt
import io
import re
import uuid
from typing import Any

from seawall import __version__
from seawall.images.scan import ImageCatalog
from seawall.model import Package
from seawall.report.output import to_json

SCHEMA = "seawall.sbom/v1"
FORMATS = ("table", "json", "cyclonedx", "spdx")


def _os_dict(catalog: ImageCatalog) -> dict[str, Any] | None:
    os_ = catalog.os
    if os_ is None:
        return None
    return {
        "id": os_.id,
        "version_id": os_.version_id,
        "name": os_.name,
        "pretty_name": os_.pretty_name,
        "ecosystem": os_.ecosystem,
        "source": os_.source,
    }


def to_seawall_json(catalog: ImageCatalog) -> bytes:
    """The `seawall.sbom/v1` document (documented in docs/json-schema.md)."""
    doc = {
        "schema": SCHEMA,
        "image": str(catalog.ref),
        "digest": catalog.digest,
        "platform": catalog.platform,
        "os": _os_dict(catalog),
        "layers": catalog.layers,
        "packages": catalog.packages,
        "warnings": catalog.warnings,
    }
    return to_json(doc)


def _image_name(catalog: ImageCatalog) -> str:
    return str(catalog.ref)


def to_cyclonedx(catalog: ImageCatalog) -> bytes:
    """A CycloneDX 1.6 JSON BOM: the image as metadata component, one component per package."""
    from cyclonedx.factory.license import LicenseFactory
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.tool import Tool
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    bom = Bom()
    image = Component(
        name=_image_name(catalog),
        version=catalog.digest or None,
        type=ComponentType.CONTAINER,
        bom_ref="image",
        properties=[Property(name="seawall:platform", value=catalog.platform)]
        if catalog.platform
        else None,
    )
    bom.metadata.component = image
    bom.metadata.tools.tools.add(Tool(vendor="seawall", name="seawall", version=__version__))
    licenses = LicenseFactory()
    if catalog.os is not None:
        os_ = catalog.os
        os_comp = Component(
            name=os_.id,
            version=os_.version_id or None,
            type=ComponentType.OPERATING_SYSTEM,
            bom_ref=f"os:{os_.id}@{os_.version_id}",
            description=os_.pretty_name or None,
        )
        bom.components.add(os_comp)
        bom.register_dependency(image, [os_comp])
    seen: set[str] = set()
    comps = []
    for i, pkg in enumerate(catalog.packages):
        ref = pkg.purl if pkg.purl and pkg.purl not in seen else f"{pkg.purl or pkg.name}#{i}"
        seen.add(ref)
        props = [Property(name="seawall:cataloger", value=pkg.cataloger)] if pkg.cataloger else []
        if pkg.layer:
            props.append(Property(name="seawall:layer-diff-id", value=pkg.layer))
        if pkg.path:
            props.append(Property(name="seawall:location", value=location(pkg)))
        if pkg.ecosystem:
            props.append(Property(name="seawall:ecosystem", value=pkg.ecosystem))
        if pkg.source_name and pkg.source_name != pkg.name:
            props.append(Property(name="seawall:source-name", value=pkg.source_name))
        if pkg.source_version and pkg.source_version != pkg.version:
            props.append(Property(name="seawall:source-version", value=pkg.source_version))
        try:
            purl = PackageURL.from_string(pkg.purl) if pkg.purl else None
        except ValueError:
            purl = None
        comp = Component(
            name=pkg.name,
            version=pkg.version,
            type=ComponentType.LIBRARY,
            bom_ref=ref,
            purl=purl,
            licenses=[licenses.make_from_string(text) for text in pkg.licenses],
            properties=props,
        )
        bom.components.add(comp)
        comps.append(comp)
    bom.register_dependency(image, comps)
    text = JsonV1Dot6(bom).output_as_string(indent=2)
    return text.encode() + b"\n"


def location(pkg: Package) -> str:
    """Where the package was found: its file, or the archive inside it
    (`/app/app.jar!/BOOT-INF/lib/log4j-core-2.19.0.jar`) for nested Java archives."""
    nested = pkg.metadata.get("location") if isinstance(pkg.metadata, dict) else None
    if isinstance(nested, str) and nested.startswith(pkg.path + "!/"):
        return nested
    return pkg.path


_SPDX_ID = re.compile(r"[^A-Za-z0-9.-]+")


def _spdx_id(prefix: str, text: str, used: set[str]) -> str:
    base = f"SPDXRef-{prefix}-" + _SPDX_ID.sub("-", text).strip("-")[:80]
    out, n = base, 1
    while out in used:
        n += 1
        out = f"{base}-{n}"
    used.add(out)
    return out


def _spdx_package(pkg: Package, spdx_id: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "SPDXID": spdx_id,
        "name": pkg.name,
        "versionInfo": pkg.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "primaryPackagePurpose": "LIBRARY",
        "copyrightText": "NOASSERTION",
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
    }
    if pkg.purl:
        entry["externalRefs"] = [
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": pkg.purl,
            }
        ]
    info = []
    if pkg.path:
        info.append(f"found in {location(pkg)}")
    if pkg.layer:
        info.append(f"layer {pkg.layer}")
    if pkg.source_name and (pkg.source_name != pkg.name or pkg.source_version != pkg.version):
        info.append(f"source package {pkg.source_name} {pkg.source_version or ''}".strip())
    if info:
        entry["sourceInfo"] = "; ".join(info)
    return entry


def to_spdx(catalog: ImageCatalog, *, created: _dt.datetime | None = None) -> bytes:
    """An SPDX 2.3 JSON document: the image package CONTAINS every package."""
    when = (created or _dt.datetime.now(_dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    name = _image_name(catalog)
    used: set[str] = set()
    image_id = _spdx_id("Image", name.rsplit("/", 1)[-1] or "image", used)
    image_pkg: dict[str, Any] = {
        "SPDXID": image_id,
        "name": name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "primaryPackagePurpose": "CONTAINER",
    }
    if catalog.digest:
        image_pkg["versionInfo"] = catalog.digest
    packages: list[dict[str, Any]] = [image_pkg]
    relationships: list[dict[str, str]] = [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": image_id,
        }
    ]
    if catalog.os is not None:
        os_id = _spdx_id("OperatingSystem", catalog.os.id, used)
        packages.append(
            {
                "SPDXID": os_id,
                "name": catalog.os.id,
                "versionInfo": catalog.os.version_id,
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": False,
                "primaryPackagePurpose": "OPERATING-SYSTEM",
            }
        )
        relationships.append(
            {"spdxElementId": image_id, "relationshipType": "CONTAINS", "relatedSpdxElement": os_id}
        )
    for pkg in catalog.packages:
        pid = _spdx_id(f"Package-{pkg.type}", f"{pkg.name}-{pkg.version}", used)
        packages.append(_spdx_package(pkg, pid))
        relationships.append(
            {"spdxElementId": image_id, "relationshipType": "CONTAINS", "relatedSpdxElement": pid}
        )
    doc = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": f"https://seawall.invalid/spdx/{uuid.uuid4()}",
        "creationInfo": {"created": when, "creators": [f"Tool: seawall-{__version__}"]},
        "packages": packages,
        "relationships": relationships,
    }
    return to_json(doc)


def to_table(catalog: ImageCatalog, *, width: int = 160) -> str:
    """A human-readable table: one row per package, with the layer that introduced it."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    title = str(catalog.ref)
    if catalog.os is not None:
        os_ = catalog.os
        title += f"  ({os_.pretty_name or f'{os_.id} {os_.version_id}'.strip()})"
    # a Text title is not given the table's title style by rich: give it (italic, as before)
    table = Table(title=Text(title, style="table.title"), title_justify="left")
    for col in ("NAME", "VERSION", "TYPE", "SOURCE", "LAYER", "PATH"):
        table.add_column(col, overflow="fold")
    layer_no = {diff: i for i, diff in enumerate(catalog.layers)}
    for pkg in catalog.packages:
        source = pkg.source_name or ""
        if source == pkg.name:
            source = ""
        layer = f"{layer_no[pkg.layer]}" if pkg.layer in layer_no else ""
        # Text cells: names and versions come from the image, never rich markup
        cells = (pkg.name, pkg.version, pkg.type, source, layer, location(pkg))
        table.add_row(*(Text(cell) for cell in cells))
    buf = io.StringIO()
    console = Console(file=buf, width=width, no_color=True, highlight=False, emoji=False)
    console.print(table)
    console.print(f"{len(catalog.packages)} packages in {len(catalog.layers)} layers")
    return buf.getvalue()


def render(catalog: ImageCatalog, fmt: str) -> bytes:
    """The SBOM in one of FORMATS."""
    if fmt == "json":
        return to_seawall_json(catalog)
    if fmt == "cyclonedx":
        return to_cyclonedx(catalog)
    if fmt == "spdx":
        return to_spdx(catalog)
    return to_table(catalog).encode()
