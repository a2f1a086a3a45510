"""Data: tables from specs, schema sync, the record service, files, install of app bundles."""
from ..storage.database import database_url, open_database
from ..storage.ddl import SchemaChangeRefused, SyncReport, TableBusy
from .bulk_updates import BulkRefused
from .catalog import AppCatalog, LoadedApp, UnknownApp, UnknownEntity
from .files import FileStore, StoredFile
from .filters import FilterError
from .record_context import RecordConflict, RecordNotFound
from .record_values import RecordValidationError
from .records import Page, RecordService
from .schema_sync import SchemaSync
from .stages import StageMoveRefused, default_stage_gates

__all__ = [
    "AppCatalog", "BulkRefused", "FileStore", "FilterError", "LoadedApp", "Page", "RecordConflict", "RecordNotFound",
    "RecordService", "RecordValidationError", "SchemaChangeRefused", "SchemaSync", "StageMoveRefused",
    "StoredFile", "SyncReport", "TableBusy", "UnknownApp", "UnknownEntity", "database_url", "default_stage_gates",
    "open_database",
]
