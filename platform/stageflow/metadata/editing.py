"""Changing an installed app's metadata as documents: the core of the metadata API.

An installed revision is a :class:`Bundle` of documents. Editing builds a new bundle from it
(replace every document, or add one field to one entity); installing that bundle is the
installer's job, which validates it in full and applies it in one transaction, so a refused
change leaves the running app untouched.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .bundle import Bundle, Document, document_type


class EditRefused(ValueError):
    """The edit cannot even be turned into a bundle; the message names what and where."""


class NoSuchEntity(EditRefused):
    """The edit names an entity the app does not have."""


def documents_of(bundle: Bundle) -> dict[str, Any]:
    """The bundle's documents by relative path (copies: callers may change them)."""
    return {doc.path: copy.deepcopy(doc.data) for doc in sorted(bundle.documents, key=lambda d: d.path)}


def bundle_with_documents(bundle: Bundle, app: str, documents: Mapping[str, Any]) -> Bundle:
    """A bundle holding exactly ``documents`` (path → JSON value) and the old bundle's assets."""
    if not isinstance(documents, Mapping) or not documents:
        raise EditRefused("documents: expected an object mapping bundle paths to documents")
    docs = []
    for path, data in sorted(documents.items()):
        doc_type = document_type(path) if isinstance(path, str) else None
        if doc_type is None:
            raise EditRefused(f"documents/{path}: not a place for a document in a bundle "
                              f"(app.json, org.json or <folder>/<name>.json)")
        docs.append(Document(path, doc_type, copy.deepcopy(data)))
    manifest = documents.get("app.json")
    if not isinstance(manifest, Mapping) or manifest.get("name") != app:
        raise EditRefused(f"documents/app.json: must be the manifest of app {app!r}")
    return Bundle(root=f"<{app}>", documents=docs, assets=dict(bundle.assets))


def bundle_with_field(bundle: Bundle, app: str, entity: str, field: Any) -> Bundle:
    """The bundle with ``field`` appended to ``entities/<entity>.json``."""
    path = f"entities/{entity}.json"
    documents = documents_of(bundle)
    if path not in documents:
        raise NoSuchEntity(f"app {app!r} has no entity {entity!r}")
    if not isinstance(field, Mapping) or not isinstance(field.get("name"), str):
        raise EditRefused("field: expected a field document with a string 'name'")
    fields = documents[path].setdefault("fields", [])
    if any(f.get("name") == field["name"] for f in fields):
        raise EditRefused(f"{path}: entity {entity!r} already has a field {field['name']!r}")
    fields.append(dict(field))
    return bundle_with_documents(bundle, app, documents)
