"""Writing a bundle to a folder in canonical form (export, and ``stageflow fmt``)."""
from __future__ import annotations

from pathlib import Path

from .bundle import Bundle
from .canonical import Canonicalizer
from .shape import SchemaSet


def canonical_files(bundle: Bundle, canonicalizer: Canonicalizer, schemas: SchemaSet) -> dict[str, bytes]:
    """Every configuration file of the bundle as canonical bytes, by relative path."""
    files = {doc.path: canonicalizer.dumps(doc.data, schemas.for_type(doc.type)).encode("utf-8")
             for doc in bundle.documents}
    files.update(bundle.assets)
    return dict(sorted(files.items()))


def write_bundle(bundle: Bundle, target: Path | str, canonicalizer: Canonicalizer, schemas: SchemaSet) -> list[str]:
    """Write the configuration files under ``target``; returns the paths written."""
    target = Path(target)
    written = []
    for relative, content in canonical_files(bundle, canonicalizer, schemas).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(relative)
    return written
