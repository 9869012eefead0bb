// JSON <-> model conversions used by the generated TUs (src/api/*.cpp). Not a public header.
//
// Generated code calls only: member(), begin_object(), put(), serialize_body(), query_value()
// and the response decoders body_decoder / member_decoder / empty_decoder. They dispatch with
// unqualified decode()/encode() calls, so ADL finds the generated overloads for models
// (namespace aiven::api) and the overloads below for everything else.
//
// The decoding rule is documented in <aiven/types.hpp> and tools/codegen/README.md.
#pragma once

#include <aiven/diagnostics.hpp>
#include <aiven/error.hpp>
#include <aiven/types.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aiven::codec {

/// A position in the document being decoded, built on the stack: `$`, `$.a.b`, `$.a[3]`.
struct path {
  const path* parent = nullptr;
  std::string_view key;
  std::size_t index = 0;
  bool is_index = false;

  std::string to_string() const;
};

/// Decoding state: the first error, as `<path>: expected <what>, got <kind>`.
struct context {
  std::string error;
  /// Records a type mismatch; always returns false.
  bool fail(const path& p, std::string_view expected, const boost::json::value& got);
};

/// "null", "boolean", "integer", "number", "string", "array" or "object".
const char* kind_name(const boost::json::value& v) noexcept;

/// A string that spells an integer exactly as JSON writes one (`-?(0|[1-9][0-9]*)`, in the
/// int64 range), e.g. "3535229570": the API sends some integers that way.
bool spells_integer(std::string_view s, std::int64_t& out) noexcept;
/// "true" or "false", exactly.
bool spells_boolean(std::string_view s, bool& out) noexcept;

// ---- decoding: null leaves the default value ---------------------------------------------
bool decode(const boost::json::value& v, std::string& out, const path& p, context& ctx);
bool decode(const boost::json::value& v, std::int64_t& out, const path& p, context& ctx);
bool decode(const boost::json::value& v, double& out, const path& p, context& ctx);
bool decode(const boost::json::value& v, bool& out, const path& p, context& ctx);
bool decode(const boost::json::value& v, boost::json::value& out, const path& p, context& ctx);

template <class T>
bool decode(const boost::json::value& v, std::vector<T>& out, const path& p, context& ctx);
template <class T>
bool decode(const boost::json::value& v, std::map<std::string, T>& out, const path& p, context& ctx);
template <class T>
bool decode(const boost::json::value& v, std::optional<T>& out, const path& p, context& ctx);
template <class T>
bool decode(const boost::json::value& v, std::optional<nullable<T>>& out, const path& p, context& ctx);
template <class T>
bool decode(const boost::json::value& v, nullable<T>& out, const path& p, context& ctx);
template <class E>
bool decode(const boost::json::value& v, open_enum<E>& out, const path& p, context& ctx);

/// For generated struct decoders: `o` is set for an object, left null for JSON null;
/// anything else is a mismatch.
bool begin_object(const boost::json::value& v, const boost::json::object*& o, const path& p, context& ctx);

/// The members of `o` not named in `known` (sorted), copied into `unknown`: the tree form of
/// the SAX decoders' unknown-field keeping, for the reference decoders.
void keep_unknown(const boost::json::object& o, const std::string_view* known, std::size_t n,
                  boost::json::object& unknown);

/// Decodes member `key` of `o` into `out` when present (a missing member keeps the default).
template <class T>
bool member(const boost::json::object& o, std::string_view key, T& out, const path& p, context& ctx) {
  const boost::json::value* m = o.if_contains(key);
  if (!m) return true;
  const path child{&p, key};
  return decode(*m, out, child, ctx);
}

template <class T>
bool decode(const boost::json::value& v, std::vector<T>& out, const path& p, context& ctx) {
  out.clear();
  if (v.is_null()) return true;
  const boost::json::array* a = v.if_array();
  if (!a) return ctx.fail(p, "array", v);
  out.resize(a->size());
  for (std::size_t i = 0; i < a->size(); ++i) {
    const path child{&p, {}, i, true};
    if (!decode((*a)[i], out[i], child, ctx)) return false;
  }
  return true;
}

template <class T>
bool decode(const boost::json::value& v, std::map<std::string, T>& out, const path& p, context& ctx) {
  out.clear();
  if (v.is_null()) return true;
  const boost::json::object* o = v.if_object();
  if (!o) return ctx.fail(p, "object", v);
  for (const auto& kv : *o) {
    const path child{&p, kv.key()};
    if (!decode(kv.value(), out[std::string(kv.key())], child, ctx)) return false;
  }
  return true;
}

template <class T>
bool decode(const boost::json::value& v, std::optional<T>& out, const path& p, context& ctx) {
  if (v.is_null()) {
    out.reset();
    return true;
  }
  return decode(v, out.emplace(), p, ctx);
}

template <class T>
bool decode(const boost::json::value& v, std::optional<nullable<T>>& out, const path& p, context& ctx) {
  return decode(v, out.emplace(), p, ctx);  // present: a value or JSON null
}

template <class T>
bool decode(const boost::json::value& v, nullable<T>& out, const path& p, context& ctx) {
  if (v.is_null()) {
    out = null;
    return true;
  }
  T t{};
  if (!decode(v, t, p, ctx)) return false;
  out = std::move(t);
  return true;
}

template <class E>
bool decode(const boost::json::value& v, open_enum<E>& out, const path& p, context& ctx) {
  if (v.is_null()) {
    out = open_enum<E>();
    return true;
  }
  const boost::json::string* s = v.if_string();
  if (!s) return ctx.fail(p, "string", v);
  out = open_enum<E>(std::string(s->data(), s->size()));
  return true;
}

// ---- encoding ---------------------------------------------------------------------------
boost::json::value encode(const std::string& v);
boost::json::value encode(std::int64_t v);
boost::json::value encode(double v);
boost::json::value encode(bool v);
boost::json::value encode(const boost::json::value& v);
template <class T>
boost::json::value encode(const std::vector<T>& v);
template <class T>
boost::json::value encode(const std::map<std::string, T>& v);
template <class T>
boost::json::value encode(const nullable<T>& v);
template <class E>
boost::json::value encode(const open_enum<E>& v);

template <class T>
boost::json::value encode(const std::vector<T>& v) {
  boost::json::array a;
  a.reserve(v.size());
  for (const auto& x : v) a.push_back(encode(x));
  return a;
}
template <class T>
boost::json::value encode(const std::map<std::string, T>& v) {
  boost::json::object o;
  for (const auto& [k, x] : v) o[k] = encode(x);
  return o;
}
template <class T>
boost::json::value encode(const nullable<T>& v) {
  if (v.is_null()) return nullptr;
  return encode(*v);
}
template <class E>
boost::json::value encode(const open_enum<E>& v) {
  return boost::json::value(v.str());
}

/// Sets o[key]; an empty std::optional is left out.
template <class T>
void put(boost::json::object& o, std::string_view key, const T& v) {
  o[key] = encode(v);
}
template <class T>
void put(boost::json::object& o, std::string_view key, const std::optional<T>& v) {
  if (v) o[key] = encode(*v);
}

std::string serialize(const boost::json::value& v);

template <class T>
std::string serialize_body(const T& body) {
  return ::aiven::codec::serialize(encode(body));
}

// ---- parameters -------------------------------------------------------------------------
inline const std::string& query_value(const std::string& v) noexcept { return v; }
std::string query_value(std::int64_t v);
std::string query_value(double v);
inline std::string query_value(bool v) { return v ? "true" : "false"; }
template <class E>
const std::string& query_value(const open_enum<E>& v) noexcept {
  return v.str();
}
std::string query_value(const boost::json::value& v);

// ---- responses --------------------------------------------------------------------------
/// Sets diag->client_message (when diag is set) and returns errc::bad_response.
error_code fail_response(const context& ctx, diagnostics* diag);

/// The whole body is the result.
struct body_decoder {
  template <class T>
  error_code operator()(const boost::json::value& v, T& out, diagnostics* diag) const {
    context ctx;
    const path root{};
    if (decode(v, out, root, ctx)) return {};
    return fail_response(ctx, diag);
  }
};

/// The result is member `key` of the body (a single-member wrapper such as {"project": {...}}).
struct member_decoder {
  std::string_view key;
  template <class T>
  error_code operator()(const boost::json::value& v, T& out, diagnostics* diag) const {
    context ctx;
    const path root{};
    const boost::json::object* o = nullptr;
    if (begin_object(v, o, root, ctx) && (!o || member(*o, key, out, root, ctx))) return {};
    return fail_response(ctx, diag);
  }
};

/// No body expected; whatever came is ignored.
struct empty_decoder {
  error_code operator()(const boost::json::value&, empty_response&, diagnostics*) const { return {}; }
};

}  // namespace aiven::codec
