"""Aiven's machine-readable error codes -> include/aiven/api/error_codes.hpp, src/api/error_codes.cpp.

The official document lists them in `info.description`, section "## Error codes", one
"- `code`" line each (the `error_code` of an error body's `errors[]` items). They become the
open enum `aiven::api_error_code` (an unknown code keeps its string, as every generated enum).
"""
import hashlib
import json
import re

from .cpp import banner

HEADER = "include/aiven/api/error_codes.hpp"
SOURCE = "src/api/error_codes.cpp"

_ITEM = re.compile(r"^- `([a-z0-9_]+)`\s*$")
_RESERVED = {"unknown"}


def parse(description):
    """The codes of the "Error codes" section, sorted and unique."""
    lines = description.splitlines()
    start = None
    for i, line in enumerate(lines):
        if re.match(r"^#+\s+Error codes\s*$", line):
            start = i + 1
            break
    if start is None:
        return []
    codes = []
    for line in lines[start:]:
        if line.startswith("#"):
            break  # the next section
        m = _ITEM.match(line)
        if m:
            codes.append(m.group(1))
    return sorted(set(codes) - _RESERVED)


def load(spec_path):
    with open(spec_path, "rb") as f:
        data = f.read()
    doc = json.loads(data)
    sha = hashlib.sha256(data).hexdigest()[:12]
    return parse(doc.get("info", {}).get("description", "")), sha


def identifier(code):
    # Codes are snake_case already; a leading digit or a C++ keyword would need a suffix.
    if code[0].isdigit() or code in {"delete", "default", "private", "public", "new", "class", "register"}:
        return code + "_"
    return code


def header(codes, sha):
    out = [banner(sha),
           "//\n// Aiven's machine-readable error codes: the `error_code` member of the `errors[]` items of an\n"
           "// error response, as listed in the official API document (\"Error codes\").\n"
           "#pragma once\n\n#include <cstddef>\n#include <string_view>\n\nnamespace aiven {\n\n"
           "/// An Aiven `error_code`; `unknown` stands for any other value (aiven::open_enum keeps its string).\n"
           "enum class api_error_code {\n  unknown,\n"]
    for c in codes:
        out.append(f"  {identifier(c)},\n")
    out.append("};\n\n")
    out.append(f"/// How many codes the document lists ({len(codes)}).\n"
               f"inline constexpr std::size_t api_error_code_count = {len(codes)};\n\n")
    out.append("/// The code as the API spells it (\"\" for unknown).\n"
               "std::string_view to_string(api_error_code v) noexcept;\n"
               "/// False (and `out` left alone) for a code the document does not list.\n"
               "bool from_string(std::string_view s, api_error_code& out) noexcept;\n\n"
               "}  // namespace aiven\n")
    return "".join(out)


def source(codes, sha):
    out = [banner(sha), f"#include <aiven/api/error_codes.hpp>\n\n#include <algorithm>\n#include <iterator>\n\n"
           "namespace aiven {\n\nnamespace {\n\n"
           "// Sorted by name (the enumerators' order), so from_string is a binary search.\n"
           "constexpr std::string_view names[] = {\n"]
    for c in codes:
        out.append(f"    \"{c}\",\n")
    out.append("};\n\n}  // namespace\n\n"
               "std::string_view to_string(api_error_code v) noexcept {\n"
               "  const auto i = static_cast<std::size_t>(v);\n"
               "  return i == 0 || i > std::size(names) ? std::string_view() : names[i - 1];\n}\n\n"
               "bool from_string(std::string_view s, api_error_code& out) noexcept {\n"
               "  const auto* it = std::lower_bound(std::begin(names), std::end(names), s);\n"
               "  if (it == std::end(names) || *it != s) return false;\n"
               "  out = static_cast<api_error_code>(1 + (it - std::begin(names)));\n"
               "  return true;\n}\n\n}  // namespace aiven\n")
    return "".join(out)


def files(spec_path):
    codes, sha = load(spec_path)
    return {HEADER: header(codes, sha), SOURCE: source(codes, sha)}
