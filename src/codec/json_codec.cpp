#include "codec/json_codec.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace aiven::codec {

std::string path::to_string() const {
  std::vector<const path*> chain;
  for (const path* p = this; p; p = p->parent) chain.push_back(p);
  std::string out = "$";
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const path* p = *it;
    if (p->is_index) {
      out += '[';
      out += std::to_string(p->index);
      out += ']';
    } else if (!p->key.empty()) {
      out += '.';
      out += p->key;
    }
  }
  return out;
}

bool context::fail(const path& p, std::string_view expected, const boost::json::value& got) {
  if (error.empty()) {
    error = p.to_string();
    error += ": expected ";
    error += expected;
    error += ", got ";
    error += kind_name(got);
  }
  return false;
}

const char* kind_name(const boost::json::value& v) noexcept {
  switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64: return "integer";
    case boost::json::kind::double_: return "number";
    case boost::json::kind::string: return "string";
    case boost::json::kind::array: return "array";
    case boost::json::kind::object: return "object";
  }
  return "unknown";
}

bool spells_integer(std::string_view s, std::int64_t& out) noexcept {
  std::size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  if (s[i] == '0' && s.size() > i + 1) return false;  // JSON has no leading zeros
  for (std::size_t j = i; j < s.size(); ++j)
    if (s[j] < '0' || s[j] > '9') return false;
  std::int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;  // out of range
  out = v;
  return true;
}

bool spells_boolean(std::string_view s, bool& out) noexcept {
  if (s == "true") {
    out = true;
    return true;
  }
  if (s == "false") {
    out = false;
    return true;
  }
  return false;
}

void keep_unknown(const boost::json::object& o, const std::string_view* known, std::size_t n,
                  boost::json::object& unknown) {
  for (const auto& kv : o) {
    const std::string_view k(kv.key().data(), kv.key().size());
    if (!std::binary_search(known, known + n, k)) unknown[kv.key()] = kv.value();
  }
}

bool decode(const boost::json::value& v, std::string& out, const path& p, context& ctx) {
  if (v.is_null()) {
    out.clear();
    return true;
  }
  const boost::json::string* s = v.if_string();
  if (!s) return ctx.fail(p, "string", v);
  out.assign(s->data(), s->size());
  return true;
}

bool decode(const boost::json::value& v, std::int64_t& out, const path& p, context& ctx) {
  switch (v.kind()) {
    case boost::json::kind::null: out = 0; return true;
    case boost::json::kind::int64: out = v.get_int64(); return true;
    case boost::json::kind::uint64:
      if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return ctx.fail(p, "integer in the int64 range", v);
      out = static_cast<std::int64_t>(v.get_uint64());
      return true;
    case boost::json::kind::double_: {
      // An integer written as a double (e.g. 3.0) is accepted when it is integral and in range.
      const double d = v.get_double();
      if (std::isfinite(d) && std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
        out = static_cast<std::int64_t>(d);
        return true;
      }
      return ctx.fail(p, "integer", v);
    }
    case boost::json::kind::string:
      if (spells_integer(std::string_view(v.get_string().data(), v.get_string().size()), out)) return true;
      return ctx.fail(p, "integer", v);
    default: return ctx.fail(p, "integer", v);
  }
}

bool decode(const boost::json::value& v, double& out, const path& p, context& ctx) {
  switch (v.kind()) {
    case boost::json::kind::null: out = 0; return true;
    case boost::json::kind::int64: out = static_cast<double>(v.get_int64()); return true;
    case boost::json::kind::uint64: out = static_cast<double>(v.get_uint64()); return true;
    case boost::json::kind::double_: out = v.get_double(); return true;
    default: return ctx.fail(p, "number", v);
  }
}

bool decode(const boost::json::value& v, bool& out, const path& p, context& ctx) {
  if (v.is_null()) {
    out = false;
    return true;
  }
  if (const boost::json::string* s = v.if_string()) {
    if (spells_boolean(std::string_view(s->data(), s->size()), out)) return true;
    return ctx.fail(p, "boolean", v);
  }
  if (!v.is_bool()) return ctx.fail(p, "boolean", v);
  out = v.get_bool();
  return true;
}

bool decode(const boost::json::value& v, boost::json::value& out, const path&, context&) {
  out = v;
  return true;
}

bool begin_object(const boost::json::value& v, const boost::json::object*& o, const path& p, context& ctx) {
  o = nullptr;
  if (v.is_null()) return true;
  o = v.if_object();
  if (!o) return ctx.fail(p, "object", v);
  return true;
}

boost::json::value encode(const std::string& v) { return boost::json::value(v); }
boost::json::value encode(std::int64_t v) { return boost::json::value(v); }
boost::json::value encode(double v) { return boost::json::value(v); }
boost::json::value encode(bool v) { return boost::json::value(v); }
boost::json::value encode(const boost::json::value& v) { return v; }

std::string serialize(const boost::json::value& v) { return boost::json::serialize(v); }

std::string query_value(std::int64_t v) { return std::to_string(v); }
std::string query_value(double v) {
  std::string s = boost::json::serialize(boost::json::value(v));
  return s;
}
std::string query_value(const boost::json::value& v) {
  if (const boost::json::string* s = v.if_string()) return std::string(s->data(), s->size());
  return boost::json::serialize(v);
}

error_code fail_response(const context& ctx, diagnostics* diag) {
  if (diag) diag->client_message = ctx.error.empty() ? std::string("response does not fit the type") : ctx.error;
  return make_error_code(errc::bad_response);
}

}  // namespace aiven::codec
