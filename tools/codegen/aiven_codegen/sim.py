"""Model -> src/sim/generated/routes.cpp: the simulator's route table.

Per operation of the document: its operationId, method and path template (server path prefix
included), whether it needs a token, the index of its request body schema (or -1) and the
index of its sample response. The body schemas are the document's, with `$ref`s resolved and
only what validation needs kept (type, properties, required, items, additionalProperties,
enum, nullable, length/size/range bounds); identical schemas are stored once. The sample
response of an operation is the first 2xx response: its `example` when the document has one,
else a value generated from the schema (every property, one array item, the first enum value,
format-shaped strings, bounds respected), so that it validates against the document.
"""
import json

from .conformance import FORMAT_SAMPLES, sample_string
from .cpp import banner

FOLDER = "src/sim/generated"
README = ("The simulator's route table: every operation of the document with its method, path template, "
          "request body schema and sample response; interpreted by `../router.cpp` and `../state.cpp`.")

KEEP = ("type", "enum", "nullable", "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems",
        "required", "format")
MAX_SCHEMA_DEPTH = 12
MAX_SAMPLE_DEPTH = 8
DELIM = "aivsim"


class _Resolver:
    def __init__(self, doc):
        self.doc = doc

    def deref(self, s):
        seen = 0
        while isinstance(s, dict) and "$ref" in s:
            node = self.doc
            for part in s["$ref"][2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            s = node
            seen += 1
            if seen > 50:
                raise ValueError("$ref loop")
        return s

    def merged(self, s):
        """The schema with `$ref` resolved and `allOf` parts merged into one object schema."""
        s = self.deref(s)
        if not isinstance(s, dict) or "allOf" not in s:
            return s if isinstance(s, dict) else {}
        out = {k: v for k, v in s.items() if k != "allOf"}
        props = dict(out.get("properties") or {})
        required = list(out.get("required") or [])
        for part in s["allOf"]:
            p = self.merged(part)
            for k, v in p.items():
                if k == "properties":
                    props.update(v)
                elif k == "required":
                    required += [r for r in v if r not in required]
                elif k not in out:
                    out[k] = v
        if props:
            out["properties"] = props
            out.setdefault("type", "object")
        if required:
            out["required"] = required
        return out


def _validation_schema(r, s, depth=0):
    """The part of schema `s` that the simulator validates, refs inlined (depth-limited)."""
    s = r.merged(s)
    if depth > MAX_SCHEMA_DEPTH or not s:
        return {}
    out = {k: s[k] for k in KEEP if k in s}
    if "properties" in s:
        out["properties"] = {k: _validation_schema(r, v, depth + 1) for k, v in s["properties"].items()}
        out.setdefault("type", "object")
    if isinstance(s.get("additionalProperties"), dict):
        out["additionalProperties"] = _validation_schema(r, s["additionalProperties"], depth + 1)
    if "items" in s:
        out["items"] = _validation_schema(r, s["items"], depth + 1)
    return out


def _sample(r, s, name="sample", depth=0):
    s = r.merged(s)
    if "example" in s:
        return s["example"]
    if "default" in s and s["default"] is not None and not isinstance(s["default"], (dict, list)):
        return s["default"]
    if "enum" in s and s["enum"]:
        return s["enum"][0]
    t = s.get("type")
    if t is None:
        t = "object" if "properties" in s or "additionalProperties" in s else "string"
    if t == "object":
        out = {}
        if depth >= MAX_SAMPLE_DEPTH:
            return {k: _shallow(r, v, k) for k, v in (s.get("properties") or {}).items()
                    if k in (s.get("required") or [])}
        for k, v in (s.get("properties") or {}).items():
            # A successful answer carries no errors array unless the document requires one.
            if depth == 0 and k == "errors" and k not in (s.get("required") or []):
                continue
            out[k] = _sample(r, v, k, depth + 1)
        return out
    if t == "array":
        n = max(1, s.get("minItems") or 0)
        if depth >= MAX_SAMPLE_DEPTH:
            n = s.get("minItems") or 0
        item = _sample(r, s.get("items") or {}, name, depth + 1)
        return [item for _ in range(n)]
    if t == "integer":
        return _bounded(s, 1, True)
    if t == "number":
        return _bounded(s, 1.5, False)
    if t == "boolean":
        return False
    return _string(s, name)


def _shallow(r, s, name):
    s = r.merged(s)
    t = s.get("type")
    if t == "object":
        return {}
    if t == "array":
        return []
    if t in ("integer", "number", "boolean"):
        return _sample(r, s, name, MAX_SAMPLE_DEPTH)
    return _string(s, name)


def _bounded(s, v, integer):
    lo, hi = s.get("minimum"), s.get("maximum")
    if isinstance(lo, (int, float)) and v < lo:
        v = lo
    if isinstance(hi, (int, float)) and v > hi:
        v = hi
    return int(v) if integer else float(v)


def _string(s, name):
    if s.get("format") in FORMAT_SAMPLES:
        return sample_string(s)
    return sample_string(s, name if 0 < len(name) <= 40 else "sample")


def _first_2xx(o):
    for code in sorted(o.get("responses", {})):
        if code.startswith("2"):
            return code, o["responses"][code]
    return "200", {}


def routes(model):
    r = _Resolver(model.doc)
    schemas, schema_index = [], {}
    samples, sample_index = [], {}
    rows = []
    for path, item in model.doc.get("paths", {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            if method not in item:
                continue
            o = item[method]
            body = -1
            rb = r.deref(o.get("requestBody") or {})
            content = rb.get("content") or {}
            if "application/json" in content:
                vs = _validation_schema(r, content["application/json"].get("schema") or {})
                key = json.dumps(vs, sort_keys=True, separators=(",", ":"))
                if key not in schema_index:
                    schema_index[key] = len(schemas)
                    schemas.append(key)
                body = schema_index[key]
            code, resp = _first_2xx(o)
            resp = r.deref(resp)
            rcontent = resp.get("content") or {}
            media = next(iter(rcontent), "")
            if media == "application/json" or media.endswith("+json"):
                mt = rcontent[media]
                value = mt["example"] if "example" in mt else _sample(r, mt.get("schema") or {})
                text = json.dumps(value, sort_keys=True, separators=(",", ":"))
            elif media:
                text = "simulated " + media + " content\n"
            else:
                text = ""
            if text not in sample_index:
                sample_index[text] = len(samples)
                samples.append(text)
            sec = o.get("security", model.doc.get("security"))
            auth_optional = bool(o.get("x-auth-optional")) or sec is None or sec == [] or any(x == {} for x in sec)
            rows.append((model.base_path + path, method.upper(), o["operationId"], auth_optional, body,
                         int(code), media, sample_index[text]))
    rows.sort(key=lambda x: (x[0], x[1]))
    return rows, schemas, samples


def _raw(text):
    if f"){DELIM}\"" in text:
        raise ValueError("sample contains the raw string delimiter")
    # Long literals are split so that no single one exceeds what compilers promise to accept.
    chunks = [text[i:i + 8000] for i in range(0, len(text), 8000)] or [""]
    return "\n".join(f'R"{DELIM}({c}){DELIM}"' for c in chunks)


def source(model):
    rows, schemas, samples = routes(model)
    out = [banner(model.sha),
           "//\n// The simulator's route table (tools/codegen/aiven_codegen/sim.py): every operation of the\n"
           "// document. Interpreted by ../router.cpp.\n",
           '#include "sim/router.hpp"\n\nnamespace aiven::sim::detail {\nnamespace {\n\n']
    out.append("constexpr std::string_view body_schemas[] = {\n")
    for s in schemas:
        out.append(_raw(s) + ",\n")
    if not schemas:
        out.append('"",\n')
    out.append("};\n\nconstexpr std::string_view samples[] = {\n")
    for s in samples:
        out.append(_raw(s) + ",\n")
    out.append("};\n\nconstexpr route_info table[] = {\n")
    for path, method, op_id, auth_optional, body, status, media, sample in rows:
        out.append(f'    {{"{op_id}", "{method}", "{path}", {str(auth_optional).lower()}, {body}, {status}, '
                   f'"{media}", {sample}}},\n')
    out.append("};\n\n}  // namespace\n\n")
    out.append("std::span<const route_info> generated_routes() { return table; }\n")
    out.append("std::string_view generated_body_schema(int i) { return i < 0 ? std::string_view() : "
               "body_schemas[i]; }\n")
    out.append("std::string_view generated_sample(int i) { return samples[i]; }\n\n")
    out.append("}  // namespace aiven::sim::detail\n")
    return "".join(out)


def files(model):
    return {f"{FOLDER}/routes.cpp": source(model)}
