#include "codec/json_sax.hpp"

#include "codec/json_codec.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/parse_options.hpp>

#include <charconv>
#include <cmath>
#include <limits>

namespace aiven::codec::sax {

const char* kind_name(kind k) noexcept {
  switch (k) {
    case kind::null: return "null";
    case kind::boolean: return "boolean";
    case kind::integer:
    case kind::uinteger: return "integer";
    case kind::number: return "number";
    case kind::string: return "string";
    case kind::object: return "object";
    case kind::array: return "array";
  }
  return "unknown";
}

handler::handler(target root) : root_(root) { frames_.reserve(16); }

bool handler::fail(std::string_view expected, kind got) {
  if (!error_.empty()) return false;
  // The same path as the tree decoders write: `$`, `$.a.b`, `$.a[3]`.
  error_ = "$";
  for (const frame& f : frames_) {
    if (f.is_array) {
      error_ += '[';
      error_ += std::to_string(f.count - 1);
      error_ += ']';
    } else if (!f.seg.empty()) {
      error_ += '.';
      error_ += f.seg;
    }
  }
  error_ += ": expected ";
  error_ += expected;
  error_ += ", got ";
  error_ += kind_name(got);
  return false;
}

void handler::build_into(boost::json::value* dest) {
  mode_ = mode::build;
  depth_ = 1;
  dest_ = dest;
  vs_.reset();
}

void handler::skip() {
  mode_ = mode::skip;
  depth_ = 1;
}

target handler::value_target() {
  if (frames_.empty()) return root_;
  frame& f = frames_.back();
  if (f.is_array) return f.next(f, {}, *this);
  return cur_;
}

namespace {
error_code mismatch() { return make_error_code(errc::bad_response); }
}  // namespace

bool handler::begin(bool array, error_code& ec) {
  if (mode_ != mode::typed) {
    ++depth_;
    return true;
  }
  target t = value_target();
  if (t.ops->on_begin(t.obj, array, *this)) return true;
  ec = mismatch();
  return false;
}

bool handler::end(bool array, std::size_t n, error_code&) {
  switch (mode_) {
    case mode::build:
      if (array)
        vs_.push_array(n);
      else
        vs_.push_object(n);
      if (--depth_ == 0) {
        *dest_ = vs_.release();
        mode_ = mode::typed;
      }
      return true;
    case mode::skip:
      if (--depth_ == 0) mode_ = mode::typed;
      return true;
    case mode::typed: frames_.pop_back(); return true;
  }
  return true;
}

bool handler::deliver(const scalar& e, error_code& ec) {
  target t = value_target();
  if (t.ops->on_scalar(t.obj, e, *this)) return true;
  ec = mismatch();
  return false;
}

bool handler::deliver_null() {
  error_code ec;
  return deliver(scalar{}, ec);
}

bool handler::on_key_part(boost::json::string_view s, std::size_t, error_code&) {
  if (mode_ == mode::build)
    vs_.push_chars(s);
  else if (mode_ == mode::typed)
    key_.append(s.data(), s.size());
  return true;
}

bool handler::on_key(boost::json::string_view s, std::size_t, error_code&) {
  if (mode_ == mode::build) {
    vs_.push_key(s);
    return true;
  }
  if (mode_ == mode::skip) return true;
  frame& f = frames_.back();
  if (key_.empty()) {
    cur_ = f.next(f, std::string_view(s.data(), s.size()), *this);
  } else {
    key_.append(s.data(), s.size());
    cur_ = f.next(f, key_, *this);
    key_.clear();
  }
  return true;
}

bool handler::on_string_part(boost::json::string_view s, std::size_t, error_code&) {
  if (mode_ == mode::build)
    vs_.push_chars(s);
  else if (mode_ == mode::typed)
    str_.append(s.data(), s.size());
  return true;
}

bool handler::on_string(boost::json::string_view s, std::size_t, error_code& ec) {
  if (mode_ == mode::build) {
    vs_.push_string(s);
    return true;
  }
  if (mode_ == mode::skip) return true;
  scalar e;
  e.k = kind::string;
  if (str_.empty()) {
    e.s = std::string_view(s.data(), s.size());
    return deliver(e, ec);
  }
  str_.append(s.data(), s.size());
  e.s = str_;
  bool ok = deliver(e, ec);
  str_.clear();
  return ok;
}

bool handler::on_int64(std::int64_t i, boost::json::string_view, error_code& ec) {
  if (mode_ == mode::build) {
    vs_.push_int64(i);
    return true;
  }
  if (mode_ == mode::skip) return true;
  scalar e;
  e.k = kind::integer;
  e.i = i;
  return deliver(e, ec);
}

bool handler::on_uint64(std::uint64_t u, boost::json::string_view, error_code& ec) {
  if (mode_ == mode::build) {
    vs_.push_uint64(u);
    return true;
  }
  if (mode_ == mode::skip) return true;
  scalar e;
  e.k = kind::uinteger;
  e.u = u;
  return deliver(e, ec);
}

bool handler::on_double(double d, boost::json::string_view, error_code& ec) {
  if (mode_ == mode::build) {
    vs_.push_double(d);
    return true;
  }
  if (mode_ == mode::skip) return true;
  scalar e;
  e.k = kind::number;
  e.d = d;
  return deliver(e, ec);
}

bool handler::on_bool(bool b, error_code& ec) {
  if (mode_ == mode::build) {
    vs_.push_bool(b);
    return true;
  }
  if (mode_ == mode::skip) return true;
  scalar e;
  e.k = kind::boolean;
  e.b = b;
  return deliver(e, ec);
}

bool handler::on_null(error_code& ec) {
  if (mode_ == mode::build) {
    vs_.push_null();
    return true;
  }
  if (mode_ == mode::skip) return true;
  return deliver(scalar{}, ec);
}

// ---- vocabulary types ------------------------------------------------------------------------

namespace {

bool not_scalar(std::string_view expected, bool array, handler& h) {
  return h.fail(expected, array ? kind::array : kind::object);
}

bool string_scalar(void* obj, const scalar& e, handler& h) {
  auto& s = *static_cast<std::string*>(obj);
  if (e.k == kind::null) {
    s.clear();
    return true;
  }
  if (e.k != kind::string) return h.fail("string", e.k);
  s.assign(e.s.data(), e.s.size());
  return true;
}
bool string_begin(void*, bool array, handler& h) { return not_scalar("string", array, h); }
constexpr type_ops string_ops{&string_scalar, &string_begin};

bool int_scalar(void* obj, const scalar& e, handler& h) {
  auto& out = *static_cast<std::int64_t*>(obj);
  switch (e.k) {
    case kind::null: out = 0; return true;
    case kind::integer: out = e.i; return true;
    case kind::uinteger:
      if (e.u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return h.fail("integer in the int64 range", e.k);
      out = static_cast<std::int64_t>(e.u);
      return true;
    case kind::number:
      if (std::isfinite(e.d) && std::trunc(e.d) == e.d && e.d >= -9223372036854775808.0 &&
          e.d < 9223372036854775808.0) {
        out = static_cast<std::int64_t>(e.d);
        return true;
      }
      return h.fail("integer", e.k);
    case kind::string:
      if (spells_integer(e.s, out)) return true;
      return h.fail("integer", e.k);
    default: return h.fail("integer", e.k);
  }
}
bool int_begin(void*, bool array, handler& h) { return not_scalar("integer", array, h); }
constexpr type_ops int_ops{&int_scalar, &int_begin};

bool double_scalar(void* obj, const scalar& e, handler& h) {
  auto& out = *static_cast<double*>(obj);
  switch (e.k) {
    case kind::null: out = 0; return true;
    case kind::integer: out = static_cast<double>(e.i); return true;
    case kind::uinteger: out = static_cast<double>(e.u); return true;
    case kind::number: out = e.d; return true;
    default: return h.fail("number", e.k);
  }
}
bool double_begin(void*, bool array, handler& h) { return not_scalar("number", array, h); }
constexpr type_ops double_ops{&double_scalar, &double_begin};

bool bool_scalar(void* obj, const scalar& e, handler& h) {
  auto& out = *static_cast<bool*>(obj);
  switch (e.k) {
    case kind::null: out = false; return true;
    case kind::boolean: out = e.b; return true;
    case kind::string:
      if (spells_boolean(e.s, out)) return true;
      return h.fail("boolean", e.k);
    default: return h.fail("boolean", e.k);
  }
}
bool bool_begin(void*, bool array, handler& h) { return not_scalar("boolean", array, h); }
constexpr type_ops bool_ops{&bool_scalar, &bool_begin};

bool value_scalar(void* obj, const scalar& e, handler&) {
  auto& v = *static_cast<boost::json::value*>(obj);
  switch (e.k) {
    case kind::null: v = nullptr; break;
    case kind::boolean: v = e.b; break;
    case kind::integer: v = e.i; break;
    case kind::uinteger: v = e.u; break;
    case kind::number: v = e.d; break;
    case kind::string: v = boost::json::string_view(e.s.data(), e.s.size()); break;
    default: break;
  }
  return true;
}
bool value_begin(void* obj, bool, handler& h) {
  h.build_into(static_cast<boost::json::value*>(obj));
  return true;
}
constexpr type_ops value_ops{&value_scalar, &value_begin};

bool skip_scalar(void*, const scalar&, handler&) { return true; }
bool skip_begin(void*, bool, handler& h) {
  h.skip();
  return true;
}
constexpr type_ops skip_ops{&skip_scalar, &skip_begin};

}  // namespace

const type_ops& sax_ops(std::string*) { return string_ops; }
const type_ops& sax_ops(std::int64_t*) { return int_ops; }
const type_ops& sax_ops(double*) { return double_ops; }
const type_ops& sax_ops(bool*) { return bool_ops; }
const type_ops& sax_ops(boost::json::value*) { return value_ops; }

bool begin_model(next_fn next, void* obj, bool array, handler& h) {
  if (array) return h.fail("object", kind::array);
  h.push(next, obj, false);
  return true;
}

bool model_scalar(void*, const scalar& e, handler& h) {
  if (e.k == kind::null) return true;  // null leaves the model as it is (default)
  return h.fail("object", e.k);
}

target unknown(frame& f, std::string_view key, boost::json::object& unknown) {
  f.seg = {};  // a json::value takes anything: no error can name this member
  return {&value_ops, &unknown[boost::json::string_view(key.data(), key.size())]};
}

// ---- decoder -----------------------------------------------------------------------------------

namespace {

target unwrap_next(frame& f, std::string_view key, handler&) {
  auto* u = static_cast<unwrap_state*>(f.obj);
  if (key != u->key) return {&skip_ops, nullptr};
  f.seg = u->key;
  return u->inner;
}
bool unwrap_begin(void* obj, bool array, handler& h) {
  if (array) return h.fail("object", kind::array);
  h.push(&unwrap_next, obj, false);
  return true;
}
constexpr type_ops unwrap_ops{&model_scalar, &unwrap_begin};

}  // namespace

decoder::decoder(target root, std::string_view unwrap)
    : unwrap_{unwrap, root},
      p_(boost::json::parse_options{}, unwrap.empty() ? root : target{&unwrap_ops, &unwrap_}) {}

bool decoder::write(std::string_view chunk) {
  if (ec_) return false;
  if (chunk.empty()) return true;
  written_ = true;
  const std::size_t n = p_.write_some(true, chunk.data(), chunk.size(), ec_);
  if (!ec_ && n < chunk.size()) ec_ = boost::json::error::extra_data;
  return !ec_;
}

error_code decoder::finish(diagnostics* diag) {
  if (!ec_) {
    if (!written_) {
      // An empty body reads as JSON null (the result keeps its default value).
      if (!p_.handler().deliver_null()) ec_ = make_error_code(errc::bad_response);
    } else {
      p_.write_some(false, nullptr, 0, ec_);
    }
  }
  if (!ec_) return {};
  if (diag) {
    if (p_.handler().failed())
      diag->client_message = p_.handler().error();
    else
      diag->client_message = "the response body is not valid JSON: " + ec_.message();
  }
  return make_error_code(errc::bad_response);
}

}  // namespace aiven::codec::sax
