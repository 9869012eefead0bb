// Typed decoding straight from Boost.JSON's parser events (basic_parser), for the generated
// TUs (src/api/*.cpp). Not a public header.
//
// No json::value tree is built for a typed result: each event goes to the C++ object it fills.
// Every decodable type has a `type_ops` (two function pointers: a scalar arrived, an object or
// array begins), found with an unqualified sax_ops(T*) call: the overloads below for the
// vocabulary types and containers, the generated ones (by ADL) for models. A model's object
// pushes a frame whose `next` maps a member name to the member's target; unknown names go to
// the model's `unknown_fields_`. Only free-form members (json::value) and unknown fields build
// a value, with a json::value_stack as Boost's own parser does.
//
// The rules are the same as json_codec.hpp's tree decoders (the reference in the tests and the
// fuzzer), documented in <aiven/types.hpp>.
#pragma once

#include "core/call.hpp"

#include <aiven/diagnostics.hpp>
#include <aiven/error.hpp>
#include <aiven/types.hpp>

#include <boost/json/basic_parser.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aiven::codec::sax {

class handler;

/// What arrived, for the messages: "null", "boolean", "integer", "number", "string", ...
enum class kind : unsigned char { null, boolean, integer, uinteger, number, string, object, array };
const char* kind_name(kind k) noexcept;

/// A scalar event. `s` is only valid during the call.
struct scalar {
  kind k = kind::null;
  bool b = false;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
  std::string_view s;
};

struct type_ops;
/// The object the next value goes to, and how it takes events.
struct target {
  const type_ops* ops = nullptr;
  void* obj = nullptr;
};

struct frame;
/// For an object frame: the target of member `key`. For an array frame: of the next element.
using next_fn = target (*)(frame& f, std::string_view key, handler& h);

struct frame {
  next_fn next = nullptr;
  void* obj = nullptr;
  std::string_view seg;    // object frames: the current member's key (error paths)
  std::size_t count = 0;   // array frames: elements begun so far
  bool is_array = false;
};

struct type_ops {
  /// A null, boolean, number or string for `obj`.
  bool (*on_scalar)(void* obj, const scalar& e, handler& h);
  /// '{' (array == false) or '[' for `obj`: pushes a frame, starts building or skipping, or fails.
  bool (*on_begin)(void* obj, bool array, handler& h);
};

/// The basic_parser handler. Events go to the target on top; see the file comment.
class handler {
 public:
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();

  explicit handler(target root);

  // ---- for type_ops
  /// Records `<path>: expected <what>, got <kind>` (the first one only); returns false.
  bool fail(std::string_view expected, kind got);
  void push(next_fn next, void* obj, bool is_array) {
    frame& f = frames_.emplace_back();
    f.next = next;
    f.obj = obj;
    f.is_array = is_array;
  }
  /// The object or array that is beginning is built into *dest (free-form members, unknown fields).
  void build_into(boost::json::value* dest);
  /// The object or array that is beginning is skipped.
  void skip();
  const std::string& error() const noexcept { return error_; }
  bool failed() const noexcept { return !error_.empty(); }

  // ---- basic_parser's handler interface
  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code& ec) { return begin(false, ec); }
  bool on_object_end(std::size_t n, error_code& ec) { return end(false, n, ec); }
  bool on_array_begin(error_code& ec) { return begin(true, ec); }
  bool on_array_end(std::size_t n, error_code& ec) { return end(true, n, ec); }
  bool on_key_part(boost::json::string_view s, std::size_t n, error_code& ec);
  bool on_key(boost::json::string_view s, std::size_t n, error_code& ec);
  bool on_string_part(boost::json::string_view s, std::size_t n, error_code& ec);
  bool on_string(boost::json::string_view s, std::size_t n, error_code& ec);
  bool on_number_part(boost::json::string_view, error_code&) { return true; }
  bool on_int64(std::int64_t i, boost::json::string_view, error_code& ec);
  bool on_uint64(std::uint64_t u, boost::json::string_view, error_code& ec);
  bool on_double(double d, boost::json::string_view, error_code& ec);
  bool on_bool(bool b, error_code& ec);
  bool on_null(error_code& ec);
  bool on_comment_part(boost::json::string_view, error_code&) { return true; }
  bool on_comment(boost::json::string_view, error_code&) { return true; }

  /// The body was empty: the root gets a JSON null, as an empty body always did.
  bool deliver_null();

 private:
  enum class mode : unsigned char { typed, build, skip };
  bool begin(bool array, error_code& ec);
  bool end(bool array, std::size_t n, error_code& ec);
  bool deliver(const scalar& e, error_code& ec);
  target value_target();

  target root_;
  target cur_;  // set by a key in an object frame
  std::vector<frame> frames_;
  mode mode_ = mode::typed;
  std::size_t depth_ = 0;  // build and skip modes: nesting below the built or skipped value
  boost::json::value* dest_ = nullptr;
  boost::json::value_stack vs_;
  std::string key_;  // a key or string split across parts
  std::string str_;
  std::string error_;
};

/// The root of an unwrapped body: an object whose member `key` is the result.
struct unwrap_state {
  std::string_view key;
  target inner;
};

/// Decodes one JSON document, fed in pieces as it arrives, into a target.
///   decoder d(root); d.write(a); d.write(b); ...; ec = d.finish(diag);
/// With `unwrap`, the target is member `unwrap` of the body ({"service": {...}}); the other
/// members are skipped, and a body without it leaves the target as it is.
class decoder {
 public:
  explicit decoder(target root, std::string_view unwrap = {});
  decoder(const decoder&) = delete;
  decoder& operator=(const decoder&) = delete;

  /// Feeds the next bytes of the body; false once the body failed (finish() says why).
  bool write(std::string_view chunk);
  /// The body is complete: {} or errc::bad_response, with diag->client_message (when diag is
  /// set) naming the JSON path and the mismatch, or the JSON syntax error.
  error_code finish(diagnostics* diag);

 private:
  unwrap_state unwrap_;
  boost::json::basic_parser<handler> p_;
  error_code ec_;
  bool written_ = false;
};

// ---- ops of the vocabulary types -------------------------------------------------------------
const type_ops& sax_ops(std::string*);
const type_ops& sax_ops(std::int64_t*);
const type_ops& sax_ops(double*);
const type_ops& sax_ops(bool*);
const type_ops& sax_ops(boost::json::value*);
/// What generated models' begin does with '{': pushes a frame with their member dispatch.
bool begin_model(next_fn next, void* obj, bool array, handler& h);
bool model_scalar(void* obj, const scalar& e, handler& h);

template <class T>
const type_ops& sax_ops(std::vector<T>*);
template <class T>
const type_ops& sax_ops(std::map<std::string, T>*);
template <class T>
const type_ops& sax_ops(std::optional<T>*);
template <class T>
const type_ops& sax_ops(std::optional<nullable<T>>*);
template <class T>
const type_ops& sax_ops(nullable<T>*);
template <class E>
const type_ops& sax_ops(open_enum<E>*);

template <class T>
const type_ops& ops_of() {
  return sax_ops(static_cast<T*>(nullptr));
}
template <class T>
target target_of(T& x) {
  return {&ops_of<T>(), &x};
}

/// For generated member dispatch: member `key` (a literal, kept for error paths) goes to `x`.
template <class T>
target member(frame& f, std::string_view key, T& x) {
  f.seg = key;
  return target_of(x);
}
/// A member the model does not know: kept in `unknown` as a json::value.
target unknown(frame& f, std::string_view key, boost::json::object& unknown);

template <class T>
struct vector_ops {
  static bool on_scalar(void* obj, const scalar& e, handler& h) {
    if (e.k == kind::null) {
      static_cast<std::vector<T>*>(obj)->clear();
      return true;
    }
    return h.fail("array", e.k);
  }
  static target next(frame& f, std::string_view, handler&) {
    ++f.count;
    return target_of(static_cast<std::vector<T>*>(f.obj)->emplace_back());
  }
  static bool on_begin(void* obj, bool array, handler& h) {
    if (!array) return h.fail("array", kind::object);
    static_cast<std::vector<T>*>(obj)->clear();
    h.push(&next, obj, true);
    return true;
  }
  static constexpr type_ops ops{&on_scalar, &on_begin};
};

template <class T>
struct map_ops {
  using map_type = std::map<std::string, T>;
  static bool on_scalar(void* obj, const scalar& e, handler& h) {
    if (e.k == kind::null) {
      static_cast<map_type*>(obj)->clear();
      return true;
    }
    return h.fail("object", e.k);
  }
  static target next(frame& f, std::string_view key, handler&) {
    auto [it, inserted] = static_cast<map_type*>(f.obj)->try_emplace(std::string(key));
    if (!inserted) it->second = T{};  // a key given twice: the last one counts
    f.seg = it->first;
    return target_of(it->second);
  }
  static bool on_begin(void* obj, bool array, handler& h) {
    if (array) return h.fail("object", kind::array);
    static_cast<map_type*>(obj)->clear();
    h.push(&next, obj, false);
    return true;
  }
  static constexpr type_ops ops{&on_scalar, &on_begin};
};

template <class T>
struct optional_ops {
  static bool on_scalar(void* obj, const scalar& e, handler& h) {
    auto& o = *static_cast<std::optional<T>*>(obj);
    if (e.k == kind::null) {
      o.reset();
      return true;
    }
    return ops_of<T>().on_scalar(&o.emplace(), e, h);
  }
  static bool on_begin(void* obj, bool array, handler& h) {
    return ops_of<T>().on_begin(&static_cast<std::optional<T>*>(obj)->emplace(), array, h);
  }
  static constexpr type_ops ops{&on_scalar, &on_begin};
};

// Present, even as null: std::optional<nullable<T>> keeps null apart from absent.
template <class T>
struct optional_nullable_ops {
  static bool on_scalar(void* obj, const scalar& e, handler& h) {
    return ops_of<nullable<T>>().on_scalar(&static_cast<std::optional<nullable<T>>*>(obj)->emplace(), e, h);
  }
  static bool on_begin(void* obj, bool array, handler& h) {
    return ops_of<nullable<T>>().on_begin(&static_cast<std::optional<nullable<T>>*>(obj)->emplace(), array, h);
  }
  static constexpr type_ops ops{&on_scalar, &on_begin};
};

template <class T>
struct nullable_ops {
  static bool on_scalar(void* obj, const scalar& e, handler& h) {
    auto& n = *static_cast<nullable<T>*>(obj);
    if (e.k == kind::null) {
      n = null;
      return true;
    }
    n = T{};
    return ops_of<T>().on_scalar(&*n, e, h);
  }
  static bool on_begin(void* obj, bool array, handler& h) {
    auto& n = *static_cast<nullable<T>*>(obj);
    n = T{};
    return ops_of<T>().on_begin(&*n, array, h);
  }
  static constexpr type_ops ops{&on_scalar, &on_begin};
};

template <class E>
struct enum_ops {
  static bool on_scalar(void* obj, const scalar& e, handler& h) {
    auto& v = *static_cast<open_enum<E>*>(obj);
    if (e.k == kind::null) {
      v = open_enum<E>();
      return true;
    }
    if (e.k != kind::string) return h.fail("string", e.k);
    v = open_enum<E>(std::string(e.s));
    return true;
  }
  static bool on_begin(void*, bool array, handler& h) { return h.fail("string", array ? kind::array : kind::object); }
  static constexpr type_ops ops{&on_scalar, &on_begin};
};

template <class T>
const type_ops& sax_ops(std::vector<T>*) {
  return vector_ops<T>::ops;
}
template <class T>
const type_ops& sax_ops(std::map<std::string, T>*) {
  return map_ops<T>::ops;
}
template <class T>
const type_ops& sax_ops(std::optional<T>*) {
  return optional_ops<T>::ops;
}
template <class T>
const type_ops& sax_ops(std::optional<nullable<T>>*) {
  return optional_nullable_ops<T>::ops;
}
template <class T>
const type_ops& sax_ops(nullable<T>*) {
  return nullable_ops<T>::ops;
}
template <class E>
const type_ops& sax_ops(open_enum<E>*) {
  return enum_ops<E>::ops;
}

/// A generated model's ops: `Next` is its member dispatch.
template <next_fn Next>
struct model_ops {
  static bool on_begin(void* obj, bool array, handler& h) { return begin_model(Next, obj, array, h); }
  static constexpr type_ops ops{&model_scalar, &on_begin};
};

// ---- responses ---------------------------------------------------------------------------------
/// The whole body (or its member `unwrap`) into `out`, in one piece.
template <class T>
error_code decode_body(std::string_view body, T& out, std::string_view unwrap, diagnostics* diag) {
  decoder d(target_of(out), unwrap);
  d.write(body);
  return d.finish(diag);
}

/// A typed call's decoder: the core runs it on each 2xx body inside the attempt, so that a body
/// that does not decode is retried as an unreadable one (safe calls only).
template <class T>
struct response final : detail::response_decoder {
  explicit response(std::string_view unwrap_key) : unwrap(unwrap_key) {}
  error_code decode(std::string_view body, diagnostics& d) override {
    value = T{};
    const error_code ec = decode_body(body, value, unwrap, &d);
    decoded = !ec;
    return ec;
  }
  std::string_view unwrap;  // empty: the whole body
  T value{};
  bool decoded = false;
};

/// For detail::then (raw_response -> T): the value the core decoded, or, when this call got
/// another call's answer (a shared GET), decoded here from its bytes.
template <class T>
struct take_response {
  std::shared_ptr<response<T>> r;
  template <class Raw>
  error_code operator()(Raw&& raw, T& out, diagnostics* diag) const {
    if (r->decoded) {
      out = std::move(r->value);
      return {};
    }
    return decode_body(std::string_view(raw.body), out, r->unwrap, diag);
  }
};

}  // namespace aiven::codec::sax
