"""A posted card form turned into values per field, in the shape the widgets hold.

The field kinds parse text themselves (the RecordService calls them), so this module only
gathers what the browser sent, as the face's ``form_shape`` says: one text per plain field,
lists for multi-selects, numbered rows for checklists and child tables
(``<field>.<row>.<column>``), kept and uploaded files. Only the fields the card offered for
editing are read; anything else in the form is ignored.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict

from ...core.specs import FieldSpec
from ..field_faces import FieldFaces, FormShape

# Stores one upload and answers its file id, or raises ValueError naming what is wrong.
StoreUpload = Callable[[FieldSpec, FileStorage], int]


def _row_numbers(form: MultiDict, name: str) -> list[int]:
    """The row numbers present for ``name``, in the order the rows were numbered."""
    prefix = name + "."
    numbers = set()
    for key in form:
        if key.startswith(prefix):
            head = key[len(prefix):].split(".", 1)[0]
            if head.isdigit():
                numbers.add(int(head))
    return sorted(numbers)


def _checklist(form: MultiDict, name: str) -> list[dict[str, Any]]:
    items = []
    for i in _row_numbers(form, name):
        text = form.get(f"{name}.{i}.text", "").strip()
        if text:
            items.append({"text": text, "done": f"{name}.{i}.done" in form})
    return items


def _child_rows(form: MultiDict, spec: FieldSpec, faces: FieldFaces) -> list[dict[str, Any]]:
    rows = []
    for i in _row_numbers(form, spec.name):
        row: dict[str, Any] = {}
        for column in spec.children:
            key = f"{spec.name}.{i}.{column.name}"
            flag = faces.face(column).form_shape is FormShape.FLAG
            row[column.name] = (key in form) if flag else form.get(key, "").strip()
        if any(v not in ("", False) for v in row.values()):  # a row left blank is no row
            rows.append(row)
    return rows


def _kept_files(form: MultiDict, name: str) -> list[int]:
    return [int(v) for v in form.getlist(f"{name}.keep") if v.isdigit()]


def _lines(form: MultiDict, name: str) -> str:
    # Browsers send CRLF line breaks; long text keeps its own spacing otherwise.
    text = form.get(name, "").replace("\r\n", "\n")
    return text if text.strip() else ""


def _read(form: MultiDict, spec: FieldSpec, faces: FieldFaces) -> Any:
    shape, name = faces.face(spec).form_shape, spec.name
    if shape is FormShape.FLAG:
        return name in form
    if shape is FormShape.CODES:
        return [v for v in form.getlist(name) if v.strip()]
    if shape is FormShape.CHECKLIST:
        return _checklist(form, name)
    if shape is FormShape.ROWS:
        return _child_rows(form, spec, faces)
    if shape is FormShape.FILES:
        return _kept_files(form, name)
    if shape is FormShape.LINES:
        return _lines(form, name)
    return form.get(name, "").strip()


def read_card_form(form: MultiDict, fields: Iterable[FieldSpec], faces: FieldFaces) -> dict[str, Any]:
    """The values of ``fields`` as posted (files: the ones kept, uploads not yet added)."""
    return {spec.name: _read(form, spec, faces) for spec in fields}


def add_uploads(values: dict[str, Any], uploads: MultiDict, fields: Iterable[FieldSpec],
                store: StoreUpload, faces: FieldFaces) -> dict[str, str]:
    """Store the files chosen in file fields and add their ids; answers refusals per field."""
    errors: dict[str, str] = {}
    for spec in fields:
        if faces.face(spec).form_shape is not FormShape.FILES:
            continue
        chosen = [u for u in uploads.getlist(spec.name) if u and u.filename]
        for upload in chosen:
            try:
                file_id = store(spec, upload)
            except ValueError as exc:
                errors[spec.name] = str(exc)
                break
            kept = values.get(spec.name) or []
            values[spec.name] = kept + [file_id] if spec.options.get("multiple") else [file_id]
    return errors


# Shapes whose empty list means no value (a child table's empty list means no rows).
EMPTY_LIST_IS_NONE = frozenset({FormShape.CHECKLIST, FormShape.FILES, FormShape.CODES})


def submitted_values(values: dict[str, Any], fields: Iterable[FieldSpec], faces: FieldFaces) -> dict[str, Any]:
    """The values as the RecordService takes them: empty text is no value, rows as lists."""
    result: dict[str, Any] = {}
    for spec in fields:
        value = values.get(spec.name)
        if faces.face(spec).form_shape in EMPTY_LIST_IS_NONE:
            value = value or None
        elif isinstance(value, str) and not value:
            value = None
        result[spec.name] = value
    return result
