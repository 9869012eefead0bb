"""OpenAPI 3 document -> an intermediate model of C++ types and operations."""
import hashlib
import json
import re
import urllib.parse

from .naming import identifier, member_names, snake, unique, file_name

HTTP_METHODS = ("get", "head", "post", "put", "patch", "delete")
IDEMPOTENT_METHODS = ("get", "head", "put", "delete")
WRAPPER_EXTRAS = ("errors", "message")
# A path parameter carries a credential when a word of its name is one of these (verification
# and invite codes, reset tokens), unless its last word says it names one instead (secret_id,
# token_prefix): such segments are shown as [REDACTED] wherever the client shows a target.
CREDENTIAL_WORDS = ("code", "token", "secret", "password", "passphrase", "verification")
NAMING_WORDS = ("id", "prefix", "name")


def is_credential_param(name):
    words = snake(name).split("_")
    return any(w in CREDENTIAL_WORDS for w in words) and words[-1] not in NAMING_WORDS


class Type:
    """A C++ type: kind is one of string, int, double, bool, json, vector, map, struct, enum."""

    def __init__(self, kind, inner=None, ref=None, schema=None):
        self.kind = kind
        self.inner = inner
        self.ref = ref
        self.schema = schema or {}

    def cpp(self):
        k = self.kind
        if k == "string":
            return "std::string"
        if k == "int":
            return "std::int64_t"
        if k == "double":
            return "double"
        if k == "bool":
            return "bool"
        if k == "json":
            return "::boost::json::value"
        if k == "vector":
            return f"std::vector<{self.inner.cpp()}>"
        if k == "map":
            return f"std::map<std::string, {self.inner.cpp()}>"
        if k == "struct":
            return f"::aiven::api::{self.ref.name}"
        if k == "enum":
            return f"::aiven::open_enum<::aiven::api::{self.ref.name}>"
        raise ValueError(k)

    def named(self):
        """The Struct/Enum objects this type mentions directly (through containers)."""
        if self.kind in ("struct", "enum"):
            return [self.ref]
        if self.inner is not None:
            return self.inner.named()
        return []

    def uses_json(self):
        if self.kind == "json":
            return True
        return self.inner.uses_json() if self.inner is not None else False


class Field:
    def __init__(self, json_name, name, type_, required, nullable, description):
        self.json = json_name
        self.name = name
        self.type = type_
        self.required = required
        self.nullable = nullable
        self.description = description

    def cpp(self):
        t = self.type.cpp()
        if self.nullable:
            return f"std::optional<::aiven::nullable<{t}>>"
        if self.required:
            return t
        return f"std::optional<{t}>"


class Struct:
    kind = "struct"

    def __init__(self, name, description, origin):
        self.name = name
        self.description = description
        self.origin = origin  # component name or inline location, for comments
        self.fields = []
        self.alias_of = None  # the canonical Struct when this one is emitted as `using name = canonical;`

    def deps(self):
        """What must be emitted with this type: its members' types; for an alias its canonical type
        too (its own members' types stay, so the names of their nested types keep existing)."""
        out = [self.alias_of] if self.alias_of is not None else []
        for f in self.fields:
            out.extend(f.type.named())
        return out

    def order_deps(self):
        """What must be declared before this type: its canonical type, or its members' types."""
        if self.alias_of is not None:
            return [self.alias_of]
        return [d for f in self.fields for d in f.type.named()]


class Enum:
    kind = "enum"

    def __init__(self, name, description, origin, values):
        self.name = name
        self.description = description
        self.origin = origin
        self.alias_of = None
        self.values = []  # (json value, enumerator)
        used = {"unknown"}
        for v in values:
            self.values.append((v, unique(identifier(v.lower()), used)))

    def deps(self):
        return [self.alias_of] if self.alias_of is not None else []

    def order_deps(self):
        return self.deps()


def canonical_name_key(t):
    """The canonical type of a group of identical ones: the shortest name, ties alphabetical."""
    return (len(t.name), t.name)


def dedupe(structs, enums):
    """Gives structurally identical types one definition: sets alias_of on all but one of each group.

    Enums are identical when their value lists are (same values, same order). Structs are identical
    when their members are, one by one: JSON key, C++ name, required, nullable and C++ type, where a
    member's model type counts by its group. The groups are found by partition refinement (start
    from the members' shapes with model types unnamed, split by the groups of the model types they
    name, until nothing splits), so nested and recursive types are compared whole. Returns the
    groups of two or more, each canonical type first.
    """
    def groups_of(items, key):
        out = {}
        for t in items:
            out.setdefault(key(t), []).append(t)
        return list(out.values())

    ecls = {}
    for i, g in enumerate(groups_of(enums, lambda e: tuple(v for v, _ in e.values))):
        for e in g:
            ecls[id(e)] = i

    def shape(t, cls):
        if t.kind in ("vector", "map"):
            return (t.kind, shape(t.inner, cls))
        if t.kind == "struct":
            return ("struct", cls.get(id(t.ref)) if cls is not None else None)
        if t.kind == "enum":
            return ("enum", ecls[id(t.ref)])
        return (t.kind,)

    def signature(st, cls):
        return tuple((f.json, f.name, f.required, f.nullable, shape(f.type, cls)) for f in st.fields)

    base = {id(st): signature(st, None) for st in structs}
    cls, count = {}, -1
    for i, g in enumerate(groups_of(structs, lambda st: base[id(st)])):
        for st in g:
            cls[id(st)] = i
    while len(set(cls.values())) != count:
        count = len(set(cls.values()))
        new = {}
        for i, g in enumerate(groups_of(structs, lambda st: (cls[id(st)], signature(st, cls)))):
            for st in g:
                new[id(st)] = i
        cls = new
    result = []
    for items, c in ((enums, ecls), (structs, cls)):
        for g in groups_of(items, lambda t: c[id(t)]):
            if len(g) < 2:
                continue
            g = sorted(g, key=canonical_name_key)
            for t in g[1:]:
                t.alias_of = g[0]
            result.append(g)
    return result


class Param:
    def __init__(self, json_name, name, location, type_, required, schema, description):
        self.json = json_name
        self.name = name
        self.location = location
        self.type = type_
        self.required = required
        self.schema = schema
        self.description = description

    def cpp(self):
        t = self.type.cpp()
        return t if self.required else f"std::optional<{t}>"


class Operation:
    def __init__(self, op_id, fn, method, path, tag, summary):
        self.id = op_id
        self.fn = fn  # without the async_ prefix
        self.method = method
        self.path = path
        self.tag = tag
        self.summary = summary
        self.deprecated = False
        self.auth_optional = False
        self.idempotent = method in IDEMPOTENT_METHODS
        self.params = []
        self.body = None           # Type of the JSON body, or None
        self.body_required = True
        self.body_name = None      # member name of the body in the request struct
        self.raw_body_type = None  # media type of a non-JSON body
        self.raw_body_schema = None
        self.response_kind = "json"  # json | raw | empty
        self.response = None       # Type for json
        self.unwrap = None         # JSON key of a single-member wrapper
        self.accept = "application/json"

    @property
    def secret_segments(self):
        """{segment index after the leading '/': parameter names} for segments carrying a credential."""
        out = {}
        for i, seg in enumerate(self.path.split("/")[1:]):
            names = [n for n in re.findall(r"\{([^}]*)\}", seg) if is_credential_param(n)]
            if names:
                if i >= 32:
                    raise ValueError(f"{self.id}: a credential in path segment {i} (at most 31 are supported)")
                out[i] = names
        return out

    @property
    def request_type(self):
        return self.fn + "_request"

    @property
    def response_cpp(self):
        if self.response_kind == "raw":
            return "::aiven::raw_response"
        if self.response_kind == "empty":
            return "::aiven::empty_response"
        return self.response.cpp()

    def types(self):
        out = []
        for p in self.params:
            out.extend(p.type.named())
        if self.body is not None:
            out.extend(self.body.named())
        if self.response is not None:
            out.extend(self.response.named())
        return out


class Model:
    def __init__(self, doc, overrides=None, sha=""):
        self.doc = doc
        self.sha = sha
        self.overrides = overrides or {}
        self.schemas = doc.get("components", {}).get("schemas", {})
        self.used = {"detail", "client", "diagnostics", "error_code", "open_enum", "nullable",
                     "empty_response", "raw_response", "api", "aiven"}
        self.comp_types = {}
        self.comp_names = {}
        self.structs = []
        self.enums = []
        self.operations = []
        servers = doc.get("servers") or [{"url": ""}]
        self.base_path = urllib.parse.urlparse(servers[0].get("url", "")).path.rstrip("/")
        self._collect_operations()
        self.groups = dedupe(self.structs, self.enums)

    # ---- references -------------------------------------------------------
    def deref(self, s):
        seen = 0
        while isinstance(s, dict) and "$ref" in s:
            ref = s["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"external $ref not supported: {ref}")
            node = self.doc
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            s = node
            seen += 1
            if seen > 50:
                raise ValueError(f"$ref loop at {ref}")
        return s

    def flatten(self, s):
        """Merges allOf parts of an inline schema into one object schema (or returns a $ref)."""
        if "allOf" not in s:
            return s
        parts = s["allOf"]
        rest = {k: v for k, v in s.items() if k not in ("allOf", "description", "nullable", "title")}
        if len(parts) == 1 and not rest:
            return parts[0] if "$ref" in parts[0] else self.flatten(parts[0])
        merged = {"type": "object", "properties": {}, "required": []}
        for p in parts + [rest]:
            p = self.flatten(self.deref(p))
            merged["properties"].update(p.get("properties", {}))
            merged["required"] += [r for r in p.get("required", []) if r not in merged["required"]]
        return merged

    # ---- types ------------------------------------------------------------
    def type_of(self, s, hint):
        if s is None or s is True or s == {}:
            return Type("json", schema={})
        if "$ref" in s:
            ref = s["$ref"]
            if ref.startswith("#/components/schemas/"):
                name = ref.split("/")[-1]
                if name in self.comp_types:
                    return self.comp_types[name]
                return self._build(self.schemas[name], self.comp_name(name), name)
            return self.type_of(self.deref(s), hint)
        flat = self.flatten(s)
        if flat is not s:
            return self.type_of(flat, hint)
        return self._build(s, None, None, hint)

    def comp_name(self, name):
        if name not in self.comp_names:
            self.comp_names[name] = unique(snake(name) or "schema", self.used)
        return self.comp_names[name]

    def _build(self, s, name, comp, hint=None):
        """Builds the type of schema s; name is set for components (comp = component name)."""
        s = self.flatten(s)
        if "$ref" in s:
            t = self.type_of(s, hint or name)
            if comp:
                self.comp_types[comp] = t
            return t
        typ = s.get("type")
        origin = f"#/components/schemas/{comp}" if comp else hint
        desc = s.get("description") or s.get("title") or ""
        t = None
        if "enum" in s and (typ in (None, "string")) and all(isinstance(v, str) for v in s["enum"]):
            e = Enum(name or unique(snake(hint), self.used), desc, origin, s["enum"])
            self.enums.append(e)
            t = Type("enum", ref=e, schema=s)
        elif typ == "array" or (typ is None and "items" in s):
            t = Type("vector", inner=None, schema=s)
            if comp:
                self.comp_types[comp] = t
            base = name or snake(hint)
            t.inner = self.type_of(s.get("items", {"type": "string"}), base + "_item")
        elif typ == "object" or (typ is None and "properties" in s):
            props = s.get("properties") or {}
            ap = s.get("additionalProperties")
            if props:
                st = Struct(name or unique(snake(hint), self.used), desc, origin)
                t = Type("struct", ref=st, schema=s)
                if comp:
                    self.comp_types[comp] = t
                self.structs.append(st)
                self._fill_struct(st, s)
            elif isinstance(ap, dict) and ap:
                t = Type("map", inner=None, schema=s)
                if comp:
                    self.comp_types[comp] = t
                t.inner = self.type_of(ap, (name or snake(hint)) + "_value")
            else:
                t = Type("json", schema=s)
        elif typ == "string":
            t = Type("string", schema=s)
        elif typ == "integer":
            t = Type("int", schema=s)
        elif typ == "number":
            t = Type("double", schema=s)
        elif typ == "boolean":
            t = Type("bool", schema=s)
        else:
            t = Type("json", schema=s)
        if comp:
            self.comp_types[comp] = t
        return t

    def _fill_struct(self, st, s):
        required = set(s.get("required") or [])
        props = s.get("properties") or {}
        names = dict(zip(props, member_names(list(props))))
        for key, ps in props.items():
            raw = ps if isinstance(ps, dict) else {}
            nullable = bool(raw.get("nullable"))
            if not nullable and "$ref" not in raw:
                nullable = bool(self.flatten(raw).get("nullable")) if raw else False
            fname = names[key]
            ft = self.type_of(raw, st.name + "_" + (snake(key) or "member"))
            desc = raw.get("description") or raw.get("title") or ""
            st.fields.append(Field(key, fname, ft, key in required and not nullable, nullable, desc))

    # ---- operations -------------------------------------------------------
    def _collect_operations(self):
        raw_ops = []
        for path, item in self.doc.get("paths", {}).items():
            for method in HTTP_METHODS:
                if method in item:
                    raw_ops.append((item[method]["operationId"], path, method, item))
        raw_ops.sort(key=lambda x: x[0])
        renames = self.overrides.get("rename", {})
        fns = set()
        for op_id, _, _, _ in raw_ops:
            fn = unique(renames.get(op_id) or snake(op_id), fns)
            self.used.add(fn + "_request")
        # Component names first, sorted, so names do not depend on traversal order.
        for name in sorted(self.schemas):
            self.comp_name(name)
        fns = set()
        for op_id, path, method, item in raw_ops:
            self._operation(op_id, path, method, item, unique(renames.get(op_id) or snake(op_id), fns))

    def _operation(self, op_id, path, method, item, fn):
        o = item[method]
        tag = (o.get("tags") or ["default"])[0]
        op = Operation(op_id, fn, method, self.base_path + path, tag, o.get("summary") or "")
        op.deprecated = bool(o.get("deprecated"))
        sec = o.get("security", self.doc.get("security"))
        op.auth_optional = bool(o.get("x-auth-optional")) or sec is None or sec == [] or any(r == {} for r in sec)
        idem = self.overrides.get("idempotent", {})
        if op_id in idem:
            op.idempotent = bool(idem[op_id])
        # parameters
        params = {}
        for p in item.get("parameters", []) + o.get("parameters", []):
            p = self.deref(p)
            if p.get("in") in ("path", "query"):
                params[(p["in"], p["name"])] = p
        used = set()
        ordered = [p for p in params.values() if p["in"] == "path"] + [p for p in params.values() if p["in"] == "query"]
        pnames = member_names([p["name"] for p in ordered], used)
        for p, pname in zip(ordered, pnames):
            schema = p.get("schema") or {"type": "string"}
            t = self.type_of(schema, fn + "_" + (snake(p["name"]) or "param"))
            required = p["in"] == "path" or bool(p.get("required"))
            op.params.append(Param(p["name"], pname, p["in"], t, required,
                                   self.deref(schema), p.get("description") or ""))
        # body
        rb = o.get("requestBody")
        if rb:
            rb = self.deref(rb)
            content = rb.get("content") or {}
            op.body_name = unique("body", used)
            op.body_required = bool(rb.get("required"))
            if "application/json" in content:
                op.body = self.type_of(content["application/json"].get("schema"), fn + "_request_body")
            elif content:
                op.raw_body_type = sorted(content)[0]
                op.raw_body_schema = self.flatten(self.deref(content[op.raw_body_type].get("schema") or {}))
                op.body_required = True
        # response
        codes = sorted(c for c in o.get("responses", {}) if str(c).startswith("2"))
        op.response_kind = "empty"
        for code in codes:
            r = self.deref(o["responses"][code])
            content = r.get("content") or {}
            if not content:
                continue
            if "application/json" in content:
                op.response_kind = "json"
                self._response(op, content["application/json"].get("schema"))
            else:
                op.response_kind = "raw"
                op.accept = ", ".join(content)
            break
        self.operations.append(op)

    def _response(self, op, schema):
        schema = schema or {}
        resolved = self.flatten(self.deref(schema))
        if "$ref" in resolved:
            resolved = self.flatten(self.deref(resolved))
        props = resolved.get("properties") or {}
        keys = [k for k in props if k not in WRAPPER_EXTRAS]
        if resolved.get("type", "object") == "object" and props and len(keys) == 1:
            key = keys[0]
            base = (self.comp_name(schema["$ref"].split("/")[-1]) if "$ref" in schema else op.fn + "_response")
            op.unwrap = key
            op.response = self.type_of(props[key], base + "_" + (snake(key) or "member"))
        else:
            op.response = self.type_of(schema, op.fn + "_response")


def load(path, overrides_path=None):
    with open(path, "rb") as f:
        data = f.read()
    sha = hashlib.sha256(data).hexdigest()[:12]
    doc = json.loads(data)
    overrides = {}
    if overrides_path:
        with open(overrides_path) as f:
            overrides = json.load(f)
    return Model(doc, overrides, sha)


__all__ = ["Model", "load", "file_name"]
