"""Field faces: what each field kind looks like on the web (OpenAPI, list, card, filters)."""
from .app_faces import app_field_faces, current_field_faces, field_faces_for, install_field_faces
from .builtin import default_field_faces, human_duration
from .face import (
    BY_STORAGE,
    DECIMAL_PATTERN,
    FILTER_OPERATORS,
    ID_SCHEMA,
    MAX_ID,
    FieldFace,
    FieldFaces,
    FilterWidget,
    FormShape,
    StorageFace,
    ValueLabels,
)

__all__ = [
    "BY_STORAGE", "DECIMAL_PATTERN", "FILTER_OPERATORS", "ID_SCHEMA", "MAX_ID", "FieldFace", "FieldFaces",
    "FilterWidget", "FormShape", "StorageFace", "ValueLabels", "app_field_faces", "current_field_faces",
    "default_field_faces", "field_faces_for", "human_duration", "install_field_faces",
]
