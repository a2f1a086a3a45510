"""Metadata: read bundles, validate them (shape, then meaning), build specs, write canonical form."""
from .bundle import Bundle, DocType, Document, read_bundle
from .canonical import Canonicalizer
from .resources import metaschema_dir, sample_app_paths, sample_apps_dir
from .shape import SchemaSet
from .validate import CheckedBundle, check_bundle, check_documents, load_app_spec

__all__ = [
    "Bundle", "Canonicalizer", "CheckedBundle", "DocType", "Document", "SchemaSet", "check_bundle",
    "check_documents", "load_app_spec", "metaschema_dir", "read_bundle", "sample_app_paths",
    "sample_apps_dir",
]
