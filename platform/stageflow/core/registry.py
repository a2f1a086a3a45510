"""The generic registry behind every extension point (field kinds, operators, ...).

A kind is a small class with ``kind: ClassVar[str]``; a registry maps that name to an
instance. Registries belong to an engine object, never to module globals, so two engines
(or two tests) can carry different kinds side by side.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownKindError(KeyError):
    """Raised when a registry is asked for a kind it does not hold."""

    def __init__(self, registry: str, kind: str, known: list[str]):
        super().__init__(kind)
        self.registry, self.kind, self.known = registry, kind, known

    def __str__(self) -> str:
        return f"unknown {self.registry} {self.kind!r}; known: {', '.join(self.known)}"


class Registry(Generic[T]):
    """Name -> implementation for one extension point."""

    def __init__(self, what: str):
        self.what = what
        self._items: dict[str, T] = {}

    def register(self, item: T) -> T:
        kind = getattr(item, "kind", None)
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"{item!r} has no 'kind' name")
        if kind in self._items:
            raise ValueError(f"{self.what} {kind!r} is registered twice")
        self._items[kind] = item
        return item

    def get(self, kind: str) -> T:
        try:
            return self._items[kind]
        except KeyError:
            raise UnknownKindError(self.what, kind, sorted(self._items)) from None

    def __contains__(self, kind: object) -> bool:
        return kind in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(self._items.values())

    def names(self) -> list[str]:
        return sorted(self._items)
