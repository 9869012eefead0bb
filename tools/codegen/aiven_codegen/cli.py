"""Model -> the `aiven` command line tool's operation table and its Prism test cases.

Writes src/cli/generated/operations.cpp (a constant table of operation descriptors that the
hand-written engine in src/cli/ interprets) and tests/cli/generated/prism_cases.jsonl (per
operation, the command line arguments of a required-members-only call and of an every-member
call, with the sample values of the conformance cases).

Naming rule (documented in the README and `aiven --help`):
- area: the tag's file stem in kebab case (`service_kafka` -> `service-kafka`);
- operation: the operationId in kebab case (`ServiceKafkaTopicList` -> `service-kafka-topic-list`),
  without its leading words when they spell the area (letters compared without separators, so
  `service_mysql` strips `service-my-sql-`): `topic-list`. Nothing is stripped when nothing
  would remain. When two operations of an area get the same name, each keeps its full kebab
  operationId.
- option: the parameter name in kebab case (`service_name` -> `--service-name`); a name that
  collides with a global option gets the prefix `param-`.
"""
import json

from .conformance import FORMAT_SAMPLES, MAX_DEPTH, _clamp, sample_string  # noqa: F401
from .cpp import Layout, banner, secret_segments_bits
from .naming import cpp_string, snake

RESERVED_OPTIONS = {"body", "file", "output", "compact", "help", "token", "url", "ca-file", "timeout",
                    "retries", "rate-limit", "simulator", "verbose", "version", "parallel", "insecure-http",
                    "if-exists", "follow"}

PARAM_TYPES = {"string": "string", "int": "integer", "double": "number", "bool": "boolean",
               "enum": "enumeration", "vector": "array", "json": "json", "map": "json", "struct": "json"}


def kebab(name):
    return snake(name).replace("_", "-")


def area_name(stem):
    return stem.replace("_", "-")


def op_name(area, op_id):
    words = snake(op_id).split("_")
    target = area.replace("-", "")
    acc = ""
    for k, w in enumerate(words):
        acc += w
        if acc == target:
            rest = words[k + 1:]
            return "-".join(rest) if rest else "-".join(words)
        if not target.startswith(acc):
            break
    return "-".join(words)


def option_name(param_json):
    o = kebab(param_json) or "param"
    return "param-" + o if o in RESERVED_OPTIONS else o


class CliOp:
    def __init__(self, op, area, name):
        self.op = op
        self.area = area
        self.name = name
        self.options = []  # (option, Param or form field (name, schema, required))


def names(model, layout):
    """[(area, tag, [CliOp sorted by name])] sorted by area."""
    out = []
    for stem in sorted(layout.units):
        area = area_name(stem)
        ops = [CliOp(op, area, op_name(area, op.id)) for op in layout.units[stem]]
        count = {}
        for c in ops:
            count[c.name] = count.get(c.name, 0) + 1
        for c in ops:
            if count[c.name] > 1:
                c.name = kebab(c.op.id)
        ops.sort(key=lambda c: c.name)
        out.append((area, layout.tag_of_stem[stem], ops))
    return out


def _form_fields(op):
    if not (op.raw_body_type or "").startswith("multipart/"):
        return []
    schema = op.raw_body_schema or {}
    required = set(schema.get("required") or [])
    out = []
    for name, ps in (schema.get("properties") or {}).items():
        out.append((name, ps, name in required))
    return out


def _param_line(name, option, location, ptype, item, required, enums, desc):
    ev = "nullptr" if not enums else "e_" + enums
    return (f"    {{{cpp_string(name)}, {cpp_string(option)}, location::{location}, param_type::{ptype}, "
            f"param_type::{item}, {str(required).lower()}, {ev}, {cpp_string(' '.join(desc.split())[:300])}}},\n")


def body_type_text(t):
    """How `--help` names a body member's type: "string", "array of integer", "enum a|b", ..."""
    k = t.kind
    if k == "vector":
        return "array of " + body_type_text(t.inner)
    if k == "map":
        return "object of " + body_type_text(t.inner)
    if k == "enum":
        values = [v for v, _ in t.ref.values]
        shown = "|".join(values[:8]) + ("|..." if len(values) > 8 else "")
        return "enum " + shown if shown else "string"
    if k == "struct":
        comp = t.ref.origin.rsplit("/", 1)[-1] if t.ref.origin.startswith("#/components/") else ""
        return f"object ({comp})" if comp else "object"
    return {"string": "string", "int": "integer", "double": "number", "bool": "boolean", "json": "JSON"}[k]


def body_members(op):
    """The JSON body's top-level members as (name, type text, required, description); [] when the
    body is not an object with named members."""
    if op.body is None or op.body.kind != "struct":
        return []
    return [(f.json, body_type_text(f.type), f.required, f.description or "") for f in op.body.ref.fields]


def _member_line(name, type_text, required, desc):
    return (f"    {{{cpp_string(name)}, {cpp_string(type_text)}, {str(required).lower()}, "
            f"{cpp_string(' '.join(desc.split())[:160])}}},\n")


def table(model, layout):
    areas = names(model, layout)
    out = [banner(model.sha),
           "//\n// The `aiven` command line tool's operation table: one descriptor per operation of the\n"
           "// document, interpreted by ../engine.cpp. Names follow the rule in tools/codegen/aiven_codegen/cli.py.\n",
           '#include "../table.hpp"\n\nnamespace aiven::cli {\nnamespace {\n\n']
    enum_lists = []
    params = []
    members = []  # (id, lines), shared by operations with the same body
    ops_lines = []
    for area, tag, ops in areas:
        for c in ops:
            op = c.op
            plines = []
            for p in op.params:
                ptype = PARAM_TYPES[p.type.kind]
                item = PARAM_TYPES[p.type.inner.kind] if p.type.kind == "vector" else "string"
                enum_ref = None
                et = p.type.inner if p.type.kind == "vector" else p.type
                if et.kind == "enum":
                    values = [v for v, _ in et.ref.values]
                    if values not in enum_lists:
                        enum_lists.append(values)
                    enum_ref = f"{enum_lists.index(values)}"
                plines.append(_param_line(p.json, option_name(p.json), p.location, ptype, item, p.required,
                                          enum_ref, p.description))
            for name, ps, req in _form_fields(op):
                if ps.get("format") == "binary":
                    continue  # the --file option
                plines.append(_param_line(name, option_name(name), "form", "string", "string", req, None,
                                          ps.get("description") or ""))
            pid = "nullptr"
            if plines:
                known = next((i for i, (_, pl) in enumerate(params) if pl == plines), None)
                if known is None:
                    known = len(params)
                    params.append((f"p_{known}", plines))
                pid = params[known][0]
            if op.raw_body_type:
                body = "multipart" if op.raw_body_type.startswith("multipart/") else "raw"
                file_field = next((n for n, ps, _ in _form_fields(op) if ps.get("format") == "binary"), "")
            elif op.body is not None:
                body = "json" if op.body_required else "json_optional"
                file_field = ""
            else:
                body, file_field = "none", ""
            mlines = [_member_line(*m) for m in body_members(op)]
            tail = f", {secret_segments_bits(op)}" if op.secret_segments else ""
            if mlines:
                known = next((i for i, (_, ml) in enumerate(members) if ml == mlines), None)
                if known is None:
                    known = len(members)
                    members.append((f"b_{known}", mlines))
                tail = (tail or ", 0") + f", {members[known][0]}, {len(mlines)}"
            method = "delete_" if op.method == "delete" else op.method
            ops_lines.append(
                f"    {{{cpp_string(c.area)}, {cpp_string(c.name)}, {cpp_string(op.id)}, http_method::{method}, "
                f"{cpp_string(op.path)},\n     {pid}, {len(plines)}, body_kind::{body}, "
                f"{cpp_string(op.raw_body_type or '')}, {cpp_string(file_field)}, response_kind::{op.response_kind}, "
                f"{cpp_string(op.unwrap or '')}, {cpp_string(op.accept)},\n     "
                f"{cpp_string(' '.join(op.summary.split()))}, {str(op.deprecated).lower()}, "
                f"{str(op.idempotent).lower()}{tail}}},\n")
    for i, values in enumerate(enum_lists):
        out.append(f"constexpr const char* e_{i}[] = {{{', '.join(cpp_string(v) for v in values)}, nullptr}};\n")
    out.append("\n")
    for pid, plines in params:
        out.append(f"constexpr param_desc {pid}[] = {{\n{''.join(plines)}}};\n")
    for mid, mlines in members:
        out.append(f"constexpr body_member {mid}[] = {{\n{''.join(mlines)}}};\n")
    out.append("\nconstexpr op_desc ops[] = {\n")
    out.extend(ops_lines)
    out.append("};\n\nconstexpr area_desc area_list[] = {\n")
    start = 0
    for area, tag, ops in areas:
        out.append(f"    {{{cpp_string(area)}, {cpp_string(tag)}, {start}, {len(ops)}}},\n")
        start += len(ops)
    out.append("};\n\n}  // namespace\n\n"
               "std::span<const op_desc> operations() noexcept { return ops; }\n"
               "std::span<const area_desc> areas() noexcept { return area_list; }\n"
               f"const char* document_sha() noexcept {{ return {cpp_string(model.sha)}; }}\n\n"
               "}  // namespace aiven::cli\n")
    return "".join(out)


# ---- Prism cases ----------------------------------------------------------------------------------

def sample_json(t, full, depth=0):
    """The JSON value the conformance case's C++ sample expression encodes to."""
    k = t.kind
    s = t.schema or {}
    if k == "string":
        return sample_string(s)
    if k == "int":
        return _clamp(1, s, True)
    if k == "double":
        return float(_clamp(1.5, s, False))
    if k == "bool":
        return True
    if k in ("json",):
        return {}
    if k == "enum":
        return t.ref.values[0][0] if t.ref.values else "sample"
    if k == "vector":
        n = max(1, int(s.get("minItems") or 1))
        return [sample_json(t.inner, full, depth + 1) for _ in range(n)]
    if k == "map":
        return {"key": sample_json(t.inner, full, depth + 1)}
    if k == "struct":
        obj = {}
        for f in t.ref.fields:
            if f.required or (full and depth < MAX_DEPTH):
                if depth > 12:
                    continue
                obj[f.json] = sample_json(f.type, full, depth + 1)
        return obj
    raise ValueError(k)


def _arg_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


def case_args(c, full):
    op = c.op
    args = [c.area, c.name]
    for p in op.params:
        if not (p.required or full):
            continue
        v = sample_json(p.type, full)
        values = v if p.type.kind == "vector" else [v]
        for x in values:
            args += ["--" + option_name(p.json), _arg_value(x)]
    for name, ps, req in _form_fields(op):
        if not (req or full):
            continue
        if ps.get("format") == "binary":
            args += ["--file", "@SAMPLE_FILE@"]
        else:
            args += ["--" + option_name(name), sample_string(ps)]
    if op.raw_body_type and not op.raw_body_type.startswith("multipart/"):
        args += ["--body", "sample"]
    elif op.body is not None and (op.body_required or full):
        args += ["--body", json.dumps(sample_json(op.body, full), separators=(",", ":"), sort_keys=False)]
    if op.response_kind == "raw":
        args += ["--output", "@OUTPUT_FILE@"]
    return args


def prism_cases(model, layout):
    excluded = model.overrides.get("conformance_exclude", {})
    lines = []
    for area, tag, ops in names(model, layout):
        for c in ops:
            if c.op.id in excluded:
                lines.append(json.dumps({"op": c.op.id, "excluded": excluded[c.op.id]}, separators=(",", ":")))
                continue
            for full in (False, True):
                lines.append(json.dumps({"op": c.op.id, "variant": "all" if full else "required",
                                         "args": case_args(c, full)}, separators=(",", ":")))
    return "\n".join(lines) + "\n"


def files(model, layout=None, with_cases=True):
    layout = layout or Layout(model)
    out = {"src/cli/generated/operations.cpp": table(model, layout)}
    if with_cases:
        out["tests/cli/generated/prism_cases.jsonl"] = prism_cases(model, layout)
    return out
