"""Model -> tests/conformance/generated/*.cpp: one case per operation, run against Prism.

Each case calls the operation twice: with the required members only, and with every optional
member too (nested optional members down to MAX_DEPTH). Sample values respect the schema:
enums (first value), minLength/maxLength, format, minimum/maximum, minItems.
"""
from .cpp import banner
from .naming import cpp_string

MAX_DEPTH = 4
BOUNDARY = "aivenconformanceboundary"

FORMAT_SAMPLES = {
    "date-time": "2024-01-02T03:04:05Z",
    "date": "2024-01-02",
    "email": "user@example.com",
    "uuid": "550e8400-e29b-41d4-a716-446655440000",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
}


def sample_string(schema, base="sample"):
    s = FORMAT_SAMPLES.get(schema.get("format"), base)
    lo = schema.get("minLength")
    hi = schema.get("maxLength")
    if isinstance(lo, int) and len(s) < lo:
        s = s + "x" * (lo - len(s))
    if isinstance(hi, int) and len(s) > hi:
        s = s[: max(hi, 1)]
    return s


def _clamp(v, schema, integer):
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if isinstance(lo, (int, float)) and v < lo:
        v = lo
    if isinstance(hi, (int, float)) and v > hi:
        v = hi
    if integer:
        v = int(v)
    return v


class Sampler:
    def __init__(self, full):
        self.full = full

    def expr(self, t, depth=0):
        k = t.kind
        s = t.schema or {}
        if k == "string":
            return f"std::string({cpp_string(sample_string(s))})"
        if k == "int":
            return f"std::int64_t{{{_clamp(1, s, True)}}}"
        if k == "double":
            return repr(float(_clamp(1.5, s, False)))
        if k == "bool":
            return "true"
        if k == "json":
            return "::boost::json::value(::boost::json::object())"
        if k == "enum":
            e = t.ref
            if e.values:
                return f"::aiven::open_enum<::aiven::api::{e.name}>(::aiven::api::{e.name}::{e.values[0][1]})"
            return f"::aiven::open_enum<::aiven::api::{e.name}>(std::string(\"sample\"))"
        if k == "vector":
            n = max(1, int(s.get("minItems") or 1))
            item = self.expr(t.inner, depth + 1)
            return (f"[] {{ {t.cpp()} v; for (int i = 0; i < {n}; ++i) v.push_back({item}); return v; }}()")
        if k == "map":
            return (f"[] {{ {t.cpp()} m; m.emplace(\"key\", {self.expr(t.inner, depth + 1)}); return m; }}()")
        if k == "struct":
            st = t.ref
            parts = [f"[] {{ {t.cpp()} x{{}};"]
            for f in st.fields:
                if f.required or (self.full and depth < MAX_DEPTH):
                    if depth > 12:
                        continue
                    parts.append(f" x.{f.name} = {self.expr(f.type, depth + 1)};")
            parts.append(" return x; }()")
            return "".join(parts)
        raise ValueError(k)


def multipart(schema, full):
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    out = []
    for name, ps in props.items():
        if name not in required and not full:
            continue
        out.append(f"--{BOUNDARY}\r\n")
        if ps.get("format") == "binary":
            out.append(f'Content-Disposition: form-data; name="{name}"; filename="sample.txt"\r\n'
                       "Content-Type: application/octet-stream\r\n\r\nsample file\r\n")
        else:
            out.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n{sample_string(ps)}\r\n')
    out.append(f"--{BOUNDARY}--\r\n")
    return "".join(out)


def call_block(op, full):
    sm = Sampler(full)
    label = "all members" if full else "required members"
    lines = ["  {\n", f"    ::aiven::api::{op.request_type} req{{}};\n"]
    for p in op.params:
        if p.required or full:
            lines.append(f"    req.{p.name} = {sm.expr(p.type)};\n")
    if op.raw_body_type:
        if op.raw_body_type.startswith("multipart/"):
            body = multipart(op.raw_body_schema or {}, full)
            lines.append(f"    req.{op.body_name} = {cpp_string(body)};\n")
            lines.append(f"    req.content_type = {cpp_string(op.raw_body_type + '; boundary=' + BOUNDARY)};\n")
        else:
            lines.append(f"    req.{op.body_name} = \"sample\";\n")
    elif op.body is not None and (op.body_required or full):
        lines.append(f"    req.{op.body_name} = {sm.expr(op.body)};\n")
    lines.append("    ::aiven::diagnostics diag;\n")
    lines.append(f"    auto [ec, result] = co_await ::aiven::api::async_{op.fn}(c, std::move(req), diag, "
                 "::boost::asio::as_tuple(::boost::asio::use_awaitable));\n")
    lines.append("    (void)result;\n")
    lines.append(f"    failures += ::conformance::check({cpp_string(label)}, ec, diag);\n  }}\n")
    return "".join(lines)


def files(model, layout):
    excluded = model.overrides.get("conformance_exclude", {})
    out = {}
    for stem in sorted(layout.units):
        ops = layout.units[stem]
        text = [banner(model.sha),
                f"//\n// Conformance cases of the tag `{layout.tag_of_stem[stem]}`: every operation, against Prism.\n",
                '#include "../harness.hpp"\n\n',
                f"#include <aiven/api/{stem}.hpp>\n\n",
                "#include <boost/asio/as_tuple.hpp>\n#include <boost/asio/use_awaitable.hpp>\n"
                "#include <boost/json/object.hpp>\n#include <boost/json/value.hpp>\n\n"
                "#include <cstdint>\n#include <map>\n#include <string>\n#include <utility>\n#include <vector>\n\n"
                "#pragma GCC diagnostic ignored \"-Wdeprecated-declarations\"\n\nnamespace conformance {\nnamespace {\n"]
        for op in ops:
            if op.id in excluded:
                continue
            text.append(f"\n// {op.method.upper()} {op.path}\n"
                        f"::boost::asio::awaitable<std::string> case_{op.fn}(const ::aiven::client& c) {{\n"
                        "  std::string failures;\n")
            text.append(call_block(op, False))
            text.append(call_block(op, True))
            text.append("  co_return failures;\n}\n")
        text.append("\n}  // namespace\n\n")
        text.append(f"void register_{stem}(std::vector<test_case>& cases, std::vector<exclusion>& excluded) {{\n")
        if not any(op.id not in excluded for op in ops):
            text.append("  (void)cases;\n")
        if not any(op.id in excluded for op in ops):
            text.append("  (void)excluded;\n")
        for op in ops:
            if op.id in excluded:
                text.append(f"  excluded.push_back({{{cpp_string(op.id)}, {cpp_string(excluded[op.id])}}});\n")
            else:
                text.append(f"  cases.push_back({{{cpp_string(op.id)}, &case_{op.fn}}});\n")
        text.append("}\n\n}  // namespace conformance\n")
        out[f"tests/conformance/generated/{stem}.cpp"] = "".join(text)
    reg = [banner(model.sha), "//\n// Registers every generated conformance case.\n",
           '#include "../harness.hpp"\n\nnamespace conformance {\n\n']
    for stem in sorted(layout.units):
        reg.append(f"void register_{stem}(std::vector<test_case>& cases, std::vector<exclusion>& excluded);\n")
    reg.append("\nvoid register_all(std::vector<test_case>& cases, std::vector<exclusion>& excluded) {\n")
    for stem in sorted(layout.units):
        reg.append(f"  register_{stem}(cases, excluded);\n")
    reg.append("}\n\n}  // namespace conformance\n")
    out["tests/conformance/generated/register_all.cpp"] = "".join(reg)
    return out
