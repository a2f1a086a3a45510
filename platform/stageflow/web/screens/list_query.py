"""The list screen's URL query turned into a RecordService query, and back into links.

Filters use the REST API's spelling, ``?<field>__<op>=<value>`` (``title__contains=acme``,
``priority__in=low&priority__in=high``, ``due__gte=2026-01-01``, ``notes__is_empty=1``), so a
list URL and an API URL filter alike. Blank form inputs are ignored. Pages are keyset pages:
``cursor`` continues after a row, ``before`` goes back before one (the sort reversed).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ...core.specs import FieldSpec
from ...data.paging import Keyset, SortKey, encode_cursor, parse_sort

# Query parameters that are not filters.
RESERVED = frozenset({"q", "sort", "cursor", "before", "limit", "count"})
FORM_OPERATORS = frozenset({"contains", "eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte",
                            "is_empty", "is_not_empty"})
LIST_OPERATORS = frozenset({"in", "not_in"})
NO_OPERAND = frozenset({"is_empty", "is_not_empty"})
MAX_LIMIT = 200
PAGE_ARGS = frozenset({"cursor", "before"})


class ListQueryError(ValueError):
    """A list URL that cannot be understood; the message names the parameter."""


@dataclass
class ListQuery:
    conditions: list[dict[str, Any]]
    search: str | None
    sort: str
    limit: int
    cursor: str | None = None
    before: str | None = None
    # The filter and search parameters as given (blank ones dropped): saved filters and links keep them.
    args: list[tuple[str, str]] = field(default_factory=list)

    @property
    def where(self) -> dict[str, Any] | None:
        if not self.conditions:
            return None
        return self.conditions[0] if len(self.conditions) == 1 else {"all": list(self.conditions)}

    def values(self, key: str) -> list[str]:
        """What the form shows for ``key`` (e.g. ``priority__in``)."""
        return [v for k, v in self.args if k == key]

    def value(self, key: str) -> str:
        found = self.values(key)
        return found[0] if found else ""

    @property
    def filtered(self) -> bool:
        return any(k != "q" for k, _ in self.args)

    def filter_query(self) -> str:
        """The filter and search as a query string (what a saved filter stores)."""
        return urlencode(self.args)

    def link(self, base_url: str, **changes: str | None) -> str:
        """``base_url`` with this query's filters, sort and limit, ``changes`` applied
        (``None`` drops a parameter). Moving to another sort or filter starts at page one."""
        current = {"sort": self.sort, "limit": str(self.limit), "cursor": self.cursor, "before": self.before}
        current.update(changes)
        pairs = list(self.args)
        pairs += [(k, v) for k, v in current.items() if v is not None and v != ""]
        return f"{base_url}?{urlencode(pairs)}" if pairs else base_url

    def sort_link(self, base_url: str, name: str) -> str:
        keys = parse_sort(self.sort)
        ascending_now = bool(keys) and keys[0].field == name and not keys[0].descending
        return self.link(base_url, sort=f"-{name}" if ascending_now else name, cursor=None, before=None)

    def sort_direction(self, name: str) -> str | None:
        keys = parse_sort(self.sort)
        if keys and keys[0].field == name:
            return "desc" if keys[0].descending else "asc"
        return None


def _condition(spec: FieldSpec, op: str, values: list[str]) -> dict[str, Any]:
    if op in NO_OPERAND:
        return {"field": spec.name, "op": op}
    if op in LIST_OPERATORS:
        return {"field": spec.name, "op": op, "value": values}
    value = values[0]
    # "Up to 2026-01-31" on a date-time field means up to the end of that day.
    if spec.kind == "datetime" and op in ("lte", "lt") and len(value) == 10:
        value = f"{value}T23:59:59" if op == "lte" else value
    return {"field": spec.name, "op": op, "value": value}


def parse_list_query(args, fields: Mapping[str, FieldSpec], default_sort: str, default_limit: int) -> ListQuery:
    """Read a list URL's query (a werkzeug MultiDict). ``fields`` are the filterable fields."""
    conditions: list[dict[str, Any]] = []
    kept: list[tuple[str, str]] = []
    for key in dict.fromkeys(args.keys()):
        if key in RESERVED:
            continue
        name, _, op = key.rpartition("__") if "__" in key else (key, "", "eq")
        if op not in FORM_OPERATORS:
            raise ListQueryError(f"filter {key!r}: unknown operator {op!r}")
        if name not in fields:
            raise ListQueryError(f"filter {key!r}: there is no field {name!r} you can filter on")
        values = [v.strip() for v in args.getlist(key) if v is not None and v.strip()]
        if not values:
            continue
        conditions.append(_condition(fields[name], op, values))
        kept += [(key, v) for v in (values[:1] if op in NO_OPERAND else values)]
    search = (args.get("q") or "").strip() or None
    if search:
        kept.append(("q", search))
    try:
        limit = int(args.get("limit") or default_limit)
    except ValueError:
        raise ListQueryError("limit must be a whole number") from None
    limit = max(1, min(limit, MAX_LIMIT))
    return ListQuery(conditions, search, args.get("sort") or default_sort, limit,
                     cursor=args.get("cursor") or None, before=args.get("before") or None, args=kept)


def reversed_sort(sort: str) -> str:
    """The exact reverse order of ``sort`` (the id tie-breaker included): paging backwards."""
    keyset = Keyset(None, parse_sort(sort))
    keys: list[SortKey] = [*keyset.keys, keyset.id_key]
    return ",".join(("" if k.descending else "-") + k.field for k in keys)


def row_cursor(sort: str, item: Mapping[str, Any]) -> str:
    """The keyset cursor of a listed record (its sort values and id), as the service encodes it."""
    keyset = Keyset(None, parse_sort(sort))
    return encode_cursor([item.get(k.field) for k in keyset.keys] + [item["id"]])
