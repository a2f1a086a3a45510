"""Field kinds (PL01): one registered class per kind, each with its options schema."""
from ..registry import Registry
from .base import FieldKind, FieldValueError, RefType, Storage
from .choice import MultiSelectKind, SelectKind, choice_values
from .relation import (
    DEPARTMENT_NAME_MAX_LENGTH,
    MAX_RECORD_ID,
    USERNAME_MAX_LENGTH,
    DepartmentKind,
    FileKind,
    LinkKind,
    UserKind,
)
from .scalar import (
    BooleanKind,
    DecimalKind,
    EmailKind,
    IntegerKind,
    MoneyKind,
    PhoneKind,
    StringKind,
    TextKind,
    UrlKind,
)
from .structured import ChecklistKind, ChildTableKind, ComputedKind
from .temporal import DateKind, DateTimeKind, DurationKind


def default_field_kinds() -> Registry[FieldKind]:
    """A registry holding every built-in field kind."""
    kinds: Registry[FieldKind] = Registry("field kind")
    for cls in (StringKind, TextKind, IntegerKind, DecimalKind, MoneyKind, BooleanKind, DateKind,
                DateTimeKind, DurationKind, SelectKind, MultiSelectKind, LinkKind, UserKind,
                DepartmentKind, EmailKind, PhoneKind, UrlKind, FileKind, ChecklistKind):
        kinds.register(cls())
    kinds.register(ChildTableKind(kinds))
    kinds.register(ComputedKind(kinds))
    return kinds


__all__ = ["FieldKind", "FieldValueError", "RefType", "Storage", "default_field_kinds",
           "choice_values", "SelectKind", "MultiSelectKind", "LinkKind", "ChildTableKind",
           "ComputedKind", "FileKind", "USERNAME_MAX_LENGTH", "DEPARTMENT_NAME_MAX_LENGTH", "MAX_RECORD_ID"]
