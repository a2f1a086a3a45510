"""The generic Registry behind every extension point: register, get, refuse twins and strangers."""
from __future__ import annotations

from typing import ClassVar

import pytest

from stageflow.core import Registry, UnknownKindError
from stageflow.runtime import default_kinds


class Alpha:
    kind: ClassVar[str] = "alpha"


class Beta:
    kind: ClassVar[str] = "beta"


def make() -> Registry:
    registry: Registry = Registry("widget kind")
    registry.register(Beta())
    registry.register(Alpha())
    return registry


def test_register_returns_the_item_and_get_finds_it_by_kind():
    registry: Registry = Registry("widget kind")
    item = Alpha()
    assert registry.register(item) is item
    assert registry.get("alpha") is item
    assert "alpha" in registry and "beta" not in registry


def test_names_are_sorted_and_iteration_keeps_registration_order():
    registry = make()
    assert registry.names() == ["alpha", "beta"]
    assert [type(i) for i in registry] == [Beta, Alpha]


def test_registering_a_kind_twice_is_refused_and_keeps_the_first():
    registry = make()
    first = registry.get("alpha")
    with pytest.raises(ValueError, match=r"^widget kind 'alpha' is registered twice$"):
        registry.register(Alpha())
    assert registry.get("alpha") is first


@pytest.mark.parametrize("item", [object(), type("NoName", (), {"kind": ""})(), type("NotText", (), {"kind": 3})()])
def test_an_item_without_a_kind_name_is_refused(item):
    with pytest.raises(ValueError, match="has no 'kind' name"):
        Registry("widget kind").register(item)


def test_unknown_kind_error_names_the_registry_the_kind_and_what_is_known():
    with pytest.raises(UnknownKindError) as missing:
        make().get("gamma")
    error = missing.value
    assert str(error) == "unknown widget kind 'gamma'; known: alpha, beta"
    assert (error.registry, error.kind, error.known) == ("widget kind", "gamma", ["alpha", "beta"])
    assert isinstance(error, KeyError)


def test_unknown_kind_error_of_an_empty_registry_still_reads_well():
    with pytest.raises(UnknownKindError, match=r"^unknown widget kind 'x'; known: $"):
        Registry("widget kind").get("x")


def test_registries_are_independent_objects_not_module_globals():
    one, two = default_kinds(), default_kinds()
    one.fields.register(type("ExtraKind", (), {"kind": "extra"})())
    assert "extra" in one.fields and "extra" not in two.fields
    assert one.operators is not two.operators


def test_default_kinds_wire_the_field_and_operator_registries():
    kinds = default_kinds()
    assert kinds.fields.what == "field kind" and kinds.operators.what == "condition operator"
    assert kinds.conditions.operators is kinds.operators
    with pytest.raises(UnknownKindError, match="unknown field kind 'colour'; known: boolean, checklist"):
        kinds.fields.get("colour")
