"""Second validation pass: does every name a document uses resolve, and is it unique?

Runs over shape-valid documents and reports every problem it finds, each with a stable code
and a JSON Pointer into the document, like Django's system checks.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from ..core.fields import FieldValueError, RefType
from ..core.formula import FormulaError, parse_formula
from ..core.kinds import Kinds
from ..core.problems import Code, Problem, pointer
from ..core.specs import PIPELINE_FIELDS, RESERVED_FIELD_NAMES, SYSTEM_FIELDS
from .build import field_spec
from .bundle import Bundle, DocType, Document
from .feature_checks import check_feature_documents
from .shape import SchemaSet
from .views_check import check_views

HANDBOOK_FIELDS = ("code", "label", "sort_order", "active")


class MeaningChecker:
    def __init__(self, bundle: Bundle, documents: list[Document], kinds: Kinds, schemas: SchemaSet):
        self.bundle, self.kinds, self.schemas = bundle, kinds, schemas
        self.docs = documents
        self.problems: list[Problem] = []
        self.entities = {d.data["name"]: d for d in self.of_type(DocType.ENTITY)}
        self.handbooks = {d.data["name"]: d for d in self.of_type(DocType.HANDBOOK)}
        self.pipelines = self.of_type(DocType.PIPELINE)
        self.roles = {d.data["name"]: d for d in self.of_type(DocType.ROLE)}
        org = self.of_type(DocType.ORG)
        self.org = org[0].data if org else {}
        self.org_path = org[0].path if org else "org.json"
        self.users = {u["username"] for u in self.org.get("users", [])}
        self.departments = {d["name"] for d in self.org.get("departments", [])}

    def of_type(self, doc_type: DocType) -> list[Document]:
        return [d for d in self.docs if d.type is doc_type]

    def report(self, doc_path: str, at: str, code: Code, message: str) -> None:
        self.problems.append(Problem(doc_path, at, code, message))

    def run(self) -> list[Problem]:
        self.check_names()
        for doc in self.entities.values():
            self.check_fields(doc, doc.data["fields"], "/fields", self.field_names(doc))
            self.check_entity_extras(doc)
        for doc in self.handbooks.values():
            self.check_fields(doc, doc.data.get("fields", []), "/fields", self.field_names(doc))
            self.check_handbook(doc)
        self.check_parents()
        self.check_pipelines()
        self.check_org()
        self.check_roles()
        check_feature_documents(self)
        return self.problems

    # -- names -----------------------------------------------------------------------------
    def check_names(self) -> None:
        for doc in self.docs:
            if doc.type in (DocType.APP, DocType.ORG):
                continue
            expected = doc.path.rsplit("/", 1)[-1][: -len(".json")]
            if doc.data.get("name") != expected:
                self.report(doc.path, "/name", Code.NAME_MISMATCH,
                            f"name {doc.data.get('name')!r} differs from the file name {expected!r}")
        shared = Counter(list(self.entities) + list(self.handbooks))
        for name, count in shared.items():
            if count > 1:
                self.report(self.handbooks[name].path, "/name", Code.DUPLICATE_NAME,
                            f"{name!r} is both an entity and a handbook; they share one namespace")
        for doc_type in (DocType.PIPELINE,):
            seen: dict[str, str] = {}
            for doc in self.of_type(doc_type):
                name = doc.data["name"]
                if name in seen:
                    self.report(doc.path, "/name", Code.DUPLICATE_NAME, f"pipeline {name!r} is already defined in {seen[name]}")
                seen.setdefault(name, doc.path)

    def duplicates(self, doc: Document, items: Iterable[tuple[str, str]], what: str) -> None:
        seen: set[str] = set()
        for at, name in items:
            if name in seen:
                self.report(doc.path, at, Code.DUPLICATE_NAME, f"{what} {name!r} is defined twice")
            seen.add(name)

    # -- fields ----------------------------------------------------------------------------
    def field_names(self, doc: Document) -> set[str]:
        names = {f["name"] for f in doc.data.get("fields", [])} | set(SYSTEM_FIELDS)
        if doc.type is DocType.HANDBOOK:
            names |= set(HANDBOOK_FIELDS)
        if any(p.data["entity"] == doc.data["name"] for p in self.pipelines):
            names |= set(PIPELINE_FIELDS)
        return names

    def check_fields(self, doc: Document, fields: list[dict], at: str, known: set[str],
                     in_child: bool = False) -> None:
        self.duplicates(doc, ((f"{at}/{i}/name", f["name"])
                               for i, f in enumerate(fields)), "field")
        computed: dict[str, tuple[str, frozenset[str]]] = {}
        for i, spec in enumerate(fields):
            here = f"{at}/{i}"
            name, kind_name = spec["name"], spec["kind"]
            if name in RESERVED_FIELD_NAMES or (doc.type is DocType.HANDBOOK and not in_child and name in HANDBOOK_FIELDS):
                self.report(doc.path, here + "/name", Code.RESERVED_NAME,
                            f"{name!r} is a system field name and cannot be declared")
            if kind_name not in self.kinds.fields:
                self.report(doc.path, here + "/kind", Code.UNKNOWN_KIND,
                            f"unknown field kind {kind_name!r}; known: {', '.join(self.kinds.fields.names())}")
                continue
            kind = self.kinds.fields.get(kind_name)
            if in_child and kind_name in ("child_table", "file", "computed"):
                self.report(doc.path, here + "/kind", Code.KIND_OPTIONS,
                            f"a child table row cannot hold a {kind_name} field")
                continue
            options = spec.get("options", {})
            bad = list(self.schemas.errors(kind.options_schema, options))
            for opt_at, message in bad:
                self.report(doc.path, here + "/options" + opt_at, Code.KIND_OPTIONS,
                            f"{kind_name} options: {message}")
            if bad:
                continue
            field_spec = _probe_field(spec, kind_name == "child_table")
            for key, message in kind.check_options(field_spec):
                code = Code.FORMULA_SYNTAX if kind_name == "computed" else Code.KIND_OPTIONS
                self.report(doc.path, f"{here}/options/{key}", code, message)
            for key, ref_type, target in kind.references(field_spec):
                self.check_reference(doc, f"{here}/options/{key}", ref_type, target)
            if kind_name == "child_table":
                child_known = {f["name"] for f in options["fields"]}
                self.check_fields(doc, options["fields"], here + "/options/fields", child_known, True)
            if kind_name == "computed":
                try:
                    names = parse_formula(options["formula"]).names
                except FormulaError:
                    names = frozenset()
                for missing in sorted(names - known):
                    self.report(doc.path, here + "/options/formula", Code.UNKNOWN_FIELD,
                                f"formula reads {missing!r}, which is not a field of {doc.data['name']!r}")
                computed[name] = (here, names)
            if "default" in spec and kind.writable and kind_name != "child_table":
                try:
                    kind.coerce(spec["default"], field_spec)
                except (FieldValueError, KeyError, TypeError) as exc:
                    self.report(doc.path, here + "/default", Code.BAD_VALUE, f"default value {exc}")
        self.check_formula_cycles(doc, computed)

    def check_formula_cycles(self, doc: Document, computed: dict[str, tuple[str, frozenset[str]]]) -> None:
        state: dict[str, int] = {}

        def visit(name: str, trail: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = trail[trail.index(name):] + [name]
                self.report(doc.path, computed[name][0] + "/options/formula", Code.CYCLE,
                            "computed fields depend on each other in a cycle: " + " -> ".join(cycle))
                return
            state[name] = 1
            for dep in sorted(computed[name][1]):
                if dep in computed:
                    visit(dep, trail + [name])
            state[name] = 2

        for name in computed:
            visit(name, [])

    def check_reference(self, doc: Document, at: str, ref_type: RefType, target: str) -> None:
        if ref_type is RefType.ENTITY and target not in self.entities and target not in self.handbooks:
            self.report(doc.path, at, Code.UNKNOWN_ENTITY, f"{target!r} is not an entity or handbook of this app")
        if ref_type is RefType.HANDBOOK and target not in self.handbooks:
            self.report(doc.path, at, Code.UNKNOWN_HANDBOOK, f"{target!r} is not a handbook of this app")

    def check_entity_extras(self, doc: Document) -> None:
        data, known = doc.data, self.field_names(doc)
        if "title_field" in data and data["title_field"] not in known:
            self.report(doc.path, "/title_field", Code.UNKNOWN_FIELD, f"title field {data['title_field']!r} is not a field")
        placed: list[tuple[str, str]] = []
        for t, tab in enumerate(data.get("layout", {}).get("tabs", [])):
            for s, section in enumerate(tab["sections"]):
                for f, name in enumerate(section["fields"]):
                    at = pointer("layout", "tabs", t, "sections", s, "fields", f)
                    if name not in known:
                        self.report(doc.path, at, Code.UNKNOWN_FIELD, f"layout places unknown field {name!r}")
                    placed.append((at, name))
        self.duplicates(doc, placed, "layout field")
        check_views(data, known, lambda at, code, message: self.report(doc.path, at, code, message))
        kinds_of = {f["name"]: f["kind"] for f in data["fields"]}
        for i, options in enumerate(data.get("constraints", [])):
            at = pointer("constraints", i)
            if options["kind"] not in self.kinds.constraints:
                self.report(doc.path, at + "/kind", Code.UNKNOWN_KIND, f"unknown constraint kind {options['kind']!r}; "
                            f"known: {', '.join(self.kinds.constraints.names())}")
                continue
            kind = self.kinds.constraints.get(options["kind"])
            bad = list(self.schemas.errors(kind.options_schema, options))
            for where, message in bad:
                self.report(doc.path, at + where, Code.KIND_OPTIONS, f"{options['kind']} options: {message}")
            if not bad:
                for key, message in kind.check_options(options, kinds_of):
                    self.report(doc.path, f"{at}/{key}", Code.UNKNOWN_FIELD, message)

    def check_parents(self) -> None:
        """A smart process's parent is another entity, reached by a link field; no cycles."""
        parents: dict[str, str] = {}
        for name, doc in self.entities.items():
            if "parent" not in doc.data:
                continue
            parent = doc.data["parent"]
            if parent["entity"] not in self.entities:
                code = Code.BAD_REFERENCE if parent["entity"] in self.handbooks else Code.UNKNOWN_ENTITY
                self.report(doc.path, "/parent/entity", code, f"parent {parent['entity']!r} is not an entity of this app")
                continue
            link = next((f for f in doc.data["fields"] if f["name"] == parent["field"]), None)
            if link is None:
                self.report(doc.path, "/parent/field", Code.UNKNOWN_FIELD, f"{parent['field']!r} is not a field of {name!r}")
            elif link["kind"] != "link" or link.get("options", {}).get("entity") != parent["entity"]:
                self.report(doc.path, "/parent/field", Code.BAD_REFERENCE,
                            f"{parent['field']!r} is not a link from {name!r} to {parent['entity']!r}")
            else:
                parents[name] = parent["entity"]
        for name in parents:
            trail, current = [name], parents[name]
            while current in parents and current not in trail:
                trail.append(current)
                current = parents[current]
            if current == name:
                self.report(self.entities[name].path, "/parent/entity", Code.CYCLE,
                            "parents form a cycle: " + " -> ".join(trail + [name]))

    def check_handbook(self, doc: Document) -> None:
        self.duplicates(doc, ((pointer("items", i, "code"), item["code"])
                               for i, item in enumerate(doc.data.get("items", []))), "item code")
        extra = {f["name"] for f in doc.data.get("fields", [])}
        for i, item in enumerate(doc.data.get("items", [])):
            for key in sorted(set(item) - {"code", "label", "active"} - extra):
                self.report(doc.path, pointer("items", i, key), Code.UNKNOWN_FIELD,
                            f"item has {key!r}, which is not a field of the handbook")

    # -- pipelines -------------------------------------------------------------------------
    def check_pipelines(self) -> None:
        defaults: Counter[str] = Counter()
        for doc in self.pipelines:
            data = doc.data
            entity = data["entity"]
            if entity not in self.entities:
                code = Code.BAD_REFERENCE if entity in self.handbooks else Code.UNKNOWN_ENTITY
                self.report(doc.path, "/entity", code, f"{entity!r} is not an entity of this app")
                continue
            if data.get("default"):
                defaults[entity] += 1
                if defaults[entity] > 1:
                    self.report(doc.path, "/default", Code.DEFAULT_PIPELINE,
                                f"entity {entity!r} has more than one default pipeline")
            stages = [s["name"] for s in data["stages"]]
            self.duplicates(doc, ((pointer("stages", i, "name"), n) for i, n in enumerate(stages)), "stage")
            known_fields = self.field_names(self.entities[entity])
            for i, stage in enumerate(data["stages"]):
                for j, target in enumerate(stage.get("moves_to", [])):
                    if target not in stages:
                        self.report(doc.path, pointer("stages", i, "moves_to", j), Code.UNKNOWN_STAGE,
                                    f"{target!r} is not a stage of pipeline {data['name']!r}")
                for j, name in enumerate(stage.get("required_fields", [])):
                    if name not in known_fields:
                        self.report(doc.path, pointer("stages", i, "required_fields", j), Code.UNKNOWN_FIELD,
                                    f"{name!r} is not a field of {entity!r}")
                if "entry_condition" in stage:
                    self.check_condition(doc, pointer("stages", i, "entry_condition", "condition"),
                                         stage["entry_condition"]["condition"], known_fields,
                                         {f["name"]: f for f in self.entities[entity].data["fields"]})
                for j, block in enumerate(stage.get("exit_blocked_by", [])):
                    self.check_exit_block(doc, pointer("stages", i, "exit_blocked_by", j), block, entity)
                for j, entry in enumerate(stage.get("entry_from", [])):
                    self.check_entry(doc, pointer("stages", i, "entry_from", j), entry)

    def check_entry(self, doc: Document, at: str, entry: dict) -> None:
        """``entry_from`` names another pipeline of the same entity, and stages of it."""
        data, name = doc.data, entry["pipeline"]
        source = next((p.data for p in self.pipelines if p.data["name"] == name
                       and p.data["entity"] == data["entity"]), None)
        if source is None or name == data["name"]:
            self.report(doc.path, at + "/pipeline", Code.BAD_REFERENCE,
                        f"{name!r} is this stage's own pipeline; moves inside it follow 'moves_to'"
                        if name == data["name"] else f"{name!r} is not a pipeline of {data['entity']!r}")
            return
        known = {s["name"] for s in source["stages"]}
        for k, stage in enumerate(entry.get("stages", [])):
            if stage not in known:
                self.report(doc.path, f"{at}/stages/{k}", Code.UNKNOWN_STAGE, f"{stage!r} is not a stage of pipeline {name!r}")

    def check_exit_block(self, doc: Document, at: str, block: dict, entity: str) -> None:
        linked = self.entities.get(block["entity"])
        if linked is None:
            self.report(doc.path, at + "/entity", Code.UNKNOWN_ENTITY, f"{block['entity']!r} is not an entity of this app")
            return
        link = next((f for f in linked.data["fields"] if f["name"] == block["link_field"]), None)
        if link is None or link["kind"] != "link" or link.get("options", {}).get("entity") != entity:
            self.report(doc.path, at + "/link_field", Code.BAD_REFERENCE,
                        f"{block['link_field']!r} is not a link from {block['entity']!r} to {entity!r}")
        self.check_condition(doc, at + "/open", block["open"], self.field_names(linked))

    # -- org -------------------------------------------------------------------------------
    def check_org(self) -> None:
        path = self.org_path
        users = self.org.get("users", [])
        departments = self.org.get("departments", [])
        self._duplicates_in(path, ((pointer("users", i, "username"), u["username"]) for i, u in enumerate(users)), "user")
        self._duplicates_in(path, ((pointer("departments", i, "name"), d["name"]) for i, d in enumerate(departments)), "department")
        for i, user in enumerate(users):
            for j, role in enumerate(user.get("roles", [])):
                if role not in self.roles:
                    self.report(path, pointer("users", i, "roles", j), Code.UNKNOWN_ROLE, f"{role!r} is not a role of this app")
        parents = {}
        for i, dep in enumerate(departments):
            if "parent" in dep:
                if dep["parent"] not in self.departments:
                    self.report(path, pointer("departments", i, "parent"), Code.UNKNOWN_DEPARTMENT,
                                f"parent {dep['parent']!r} is not a department")
                parents[dep["name"]] = (i, dep["parent"])
            if "head" in dep and dep["head"] not in self.users:
                self.report(path, pointer("departments", i, "head"), Code.UNKNOWN_USER, f"head {dep['head']!r} is not a user")
            for j, member in enumerate(dep.get("members", [])):
                if member not in self.users:
                    self.report(path, pointer("departments", i, "members", j), Code.UNKNOWN_USER, f"member {member!r} is not a user")
        for name, (i, _) in parents.items():
            seen, current = [name], parents[name][1]
            while current in parents and current not in seen:
                seen.append(current)
                current = parents[current][1]
            if current == name:
                self.report(path, pointer("departments", i, "parent"), Code.CYCLE,
                            "departments form a cycle: " + " -> ".join(seen + [name]))

    def _duplicates_in(self, path: str, items, what: str) -> None:
        seen: set[str] = set()
        for at, name in items:
            if name in seen:
                self.report(path, at, Code.DUPLICATE_NAME, f"{what} {name!r} is defined twice")
            seen.add(name)

    # -- roles -----------------------------------------------------------------------------
    def check_roles(self) -> None:
        for doc in self.roles.values():
            for entity, grant in doc.data.get("entities", {}).items():
                base = pointer("entities", entity)
                target = self.entities.get(entity) or self.handbooks.get(entity)
                if target is None:
                    self.report(doc.path, base, Code.UNKNOWN_ENTITY, f"{entity!r} is not an entity of this app")
                    continue
                known = self.field_names(target)
                kinds = {f["name"]: f["kind"] for f in target.data.get("fields", [])}
                kinds.update(created_by="user", updated_by="user")
                for i, rule in enumerate(grant.get("records", [])):
                    self.check_record_rule(doc, f"{base}/records/{i}", rule, known, kinds)
                for i, rule in enumerate(grant.get("fields", [])):
                    if rule["field"] not in known:
                        self.report(doc.path, f"{base}/fields/{i}/field", Code.UNKNOWN_FIELD,
                                    f"{rule['field']!r} is not a field of {entity!r}")
                    if "when" in rule:
                        self.check_condition(doc, f"{base}/fields/{i}/when", rule["when"], known,
                                             {f["name"]: f for f in target.data.get("fields", [])})

    def check_record_rule(self, doc: Document, at: str, rule: dict, known: set[str], kinds: dict[str, str]) -> None:
        scope, field_name = rule["scope"], rule.get("field")
        allowed = {"assigned": ("user",), "department": ("department", "user")}.get(scope)
        if allowed:
            if field_name is None:
                self.report(doc.path, at, Code.SCHEMA, f"scope {scope!r} needs a 'field'")
            elif field_name not in known:
                self.report(doc.path, at + "/field", Code.UNKNOWN_FIELD, f"{field_name!r} is not a field")
            elif kinds.get(field_name) not in allowed:
                self.report(doc.path, at + "/field", Code.BAD_REFERENCE,
                            f"scope {scope!r} needs a {' or '.join(allowed)} field; {field_name!r} is {kinds.get(field_name)!r}")
        if scope != "condition" and "condition" in rule:
            self.report(doc.path, at + "/condition", Code.SCHEMA,
                        f"scope {scope!r} takes no 'condition'; use a separate rule with scope 'condition'")
        if not allowed and field_name is not None:
            self.report(doc.path, at + "/field", Code.SCHEMA, f"scope {scope!r} takes no 'field'")
        if scope == "condition":
            if "condition" not in rule:
                self.report(doc.path, at, Code.SCHEMA, "scope 'condition' needs a 'condition'")
            else:
                self.check_condition(doc, at + "/condition", rule["condition"], known, self._fields_of(doc, at))

    def _fields_of(self, doc: Document, at: str) -> dict[str, dict]:
        entity = at.split("/")[2].replace("~1", "/").replace("~0", "~")
        target = self.entities.get(entity) or self.handbooks.get(entity)
        return {f["name"]: f for f in target.data.get("fields", [])} if target else {}

    def check_condition(self, doc: Document, at: str, tree: dict, known: set[str],
                        fields: dict[str, dict] | None = None) -> None:
        found = list(self.kinds.conditions.problems(tree, known.__contains__, at))
        for where, code, message in found:
            self.report(doc.path, where, code, message)
        if not found and fields:
            self._check_operands(doc, at, tree, fields)

    def _check_operands(self, doc: Document, at: str, tree: dict, fields: dict[str, dict]) -> None:
        """Values compared with a field must be values that field can hold."""
        for key in ("all", "any"):
            for i, sub in enumerate(tree.get(key, ())):
                self._check_operands(doc, f"{at}/{key}/{i}", sub, fields)
        if "not" in tree:
            self._check_operands(doc, f"{at}/not", tree["not"], fields)
        spec = fields.get(tree.get("field"))
        if spec is None or spec["kind"] not in self.kinds.fields or tree.get("op") in ("contains", "is_empty", "is_not_empty"):
            return
        kind = self.kinds.fields.get(spec["kind"])
        if not kind.writable or spec["kind"] == "child_table":
            return
        value = tree.get("value")
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item is None:
                continue
            try:
                kind.coerce(item, _probe_field(spec, False))
            except (FieldValueError, KeyError, TypeError) as exc:
                self.report(doc.path, at + "/value", Code.BAD_VALUE,
                            f"{item!r} cannot be compared with {tree['field']!r}: {exc}")
                return


def _probe_field(spec: dict[str, Any], is_child_table: bool):
    """A throwaway FieldSpec for kind checks during validation."""
    return field_spec(spec)
