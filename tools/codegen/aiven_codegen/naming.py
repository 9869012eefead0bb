"""Name mangling: OpenAPI names -> C++ identifiers (documented in ../README.md)."""
import re

CPP_KEYWORDS = frozenset("""
alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
char32_t class compl concept const consteval constexpr constinit const_cast continue co_await
co_return co_yield decltype default delete do double dynamic_cast else enum explicit export
extern false float for friend goto if inline int long mutable namespace new noexcept not not_eq
nullptr operator or or_eq private protected public register reinterpret_cast requires return
short signed sizeof static static_assert static_cast struct switch template this thread_local
throw true try typedef typeid typename union unsigned using virtual void volatile wchar_t while
xor xor_eq final override import module assert errno NULL EOF linux unix i386 stdin stdout stderr
null
""".split())


def snake(name):
    """CamelCase / Mixed_Names / kebab-case -> snake_case (ASCII letters, digits, '_')."""
    s = re.sub(r"[^0-9A-Za-z]+", "_", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"_+", "_", s).strip("_").lower()
    return s


def identifier(name, suffix="_value"):
    """A JSON member / parameter / enum value name -> a valid snake_case C++ identifier.

    Rule: characters other than ASCII letters, digits and '_' become '_', CamelCase is split
    (`maxItems` -> `max_items`, `docURL` -> `doc_url`), everything is lower-cased, runs of '_'
    collapse, leading/trailing '_' are dropped; a name that is empty or starts with a digit gets
    the prefix 'n_'; a C++ keyword or a reserved-looking name (macros such as `linux`, and `null`,
    which would read as `aiven::null`) gets `suffix`.
    """
    s = snake(name)
    if not s:
        s = "empty"
    if s[0].isdigit():
        s = "n_" + s
    if s in CPP_KEYWORDS:
        s = s + suffix
    return s


def member_names(keys, used=None):
    """The member names of JSON keys, in the keys' order: identifier(key), made unique.

    A key that is already its own identifier (`foo_bar`) keeps it; the other keys (`fooBar`,
    `class`) take theirs in document order, `_2`, `_3`, ... on a clash.
    """
    used = set() if used is None else used
    ids = [identifier(k) for k in keys]
    names = [None] * len(keys)
    for i, (k, n) in enumerate(zip(keys, ids)):
        if k == n and n not in used:
            used.add(n)
            names[i] = n
    for i, n in enumerate(ids):
        if names[i] is None:
            names[i] = unique(n, used)
    return names


def unique(name, used):
    """Returns name, or name_2, name_3, ... the first one not in `used`; adds it to `used`."""
    if name not in used:
        used.add(name)
        return name
    i = 2
    while f"{name}_{i}" in used:
        i += 1
    used.add(f"{name}_{i}")
    return f"{name}_{i}"


def file_name(tag):
    """Tag -> file stem: `Service:_Kafka` -> `service_kafka`, `Ticket_[deprecated]` -> `ticket_deprecated`.

    `all`, `common`, `detail` and stems ending in `_models` (which would clash with a models header)
    get the suffix `_tag`."""
    s = snake(tag)
    if s in ("all", "common", "detail") or s.endswith("_models") or not s:
        s = s + "_tag"
    return s


def cpp_string(s):
    """A C++ string literal for s (UTF-8 kept as escaped bytes)."""
    out = ['"']
    for b in s.encode("utf-8"):
        c = chr(b)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c in "\r\n\t":
            out.append({"\r": "\\r", "\n": "\\n", "\t": "\\t"}[c])
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append('\\x%02x""' % b)
    out.append('"')
    return "".join(out)


def comment_text(s, limit=300):
    """One-line comment text: whitespace collapsed, no '*/' or trailing backslash."""
    s = " ".join((s or "").split())
    if len(s) > limit:
        s = s[: limit - 3].rstrip() + "..."
    s = s.replace("*/", "* /").replace("\\", "/")
    return s
