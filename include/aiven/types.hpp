// Vocabulary types of the generated API layer (include/aiven/api/*.hpp).
//
// Model mapping (see tools/codegen/README.md for the whole rule set):
//   - A member the document lists as required is a plain member; any other member is a
//     std::optional<T>, left out of request bodies when empty.
//   - A member marked `nullable` is std::optional<aiven::nullable<T>>: empty = not sent,
//     aiven::null = sent as JSON null, a value = sent as that value.
//   - An enum is aiven::open_enum<E>: the generated `enum class E` (with `unknown`) plus the
//     string as received, so a value this library does not know never fails a parse and is
//     sent back unchanged.
//
// Decoding rule (responses), applied as the body is parsed (no JSON tree is built for typed
// members):
//   - a member the model does not know is kept, as received, in the model's `unknown_fields_`
//     (a boost::json::object, empty unless there are any): a field the API added is readable
//     before the next regeneration. Generated member names never end with '_', so this one
//     cannot clash. It is not sent in request bodies;
//   - JSON null gives an empty optional, a null aiven::nullable, or the default value;
//   - a missing member (even one the document marks required) gives its empty/default value;
//   - an unknown enum value is kept as its string (aiven::open_enum below);
//   - a string that spells an integer exactly as JSON writes one ("3535229570", in the int64
//     range) fills an integer member, "true" or "false" a boolean member: the API sends some
//     integers and booleans that way;
//   - an integer may arrive as a double with an integral value; a number may arrive as an integer;
//   - any other type mismatch fails the call with errc::bad_response and
//     diagnostics::client_message naming the JSON path, e.g.
//     `$.service.node_count: expected integer, got string`; a body that is not JSON fails the
//     same way, client_message giving the parser's reason.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace aiven {

/// The value of aiven::null: a JSON null for a nullable member.
struct null_t {
  explicit constexpr null_t(int) noexcept {}
};
inline constexpr null_t null{0};

/// A value or JSON null. Used as std::optional<nullable<T>> for nullable members.
template <class T>
class nullable {
 public:
  using value_type = T;

  constexpr nullable() noexcept = default;  // null
  constexpr nullable(null_t) noexcept {}
  template <class U = T,
            std::enable_if_t<std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, nullable> &&
                                 !std::is_same_v<std::decay_t<U>, null_t>,
                             int> = 0>
  constexpr nullable(U&& v) : v_(std::forward<U>(v)) {}

  constexpr bool is_null() const noexcept { return !v_.has_value(); }
  constexpr bool has_value() const noexcept { return v_.has_value(); }
  constexpr explicit operator bool() const noexcept { return v_.has_value(); }
  constexpr T& operator*() & { return *v_; }
  constexpr const T& operator*() const& { return *v_; }
  constexpr T* operator->() { return &*v_; }
  constexpr const T* operator->() const { return &*v_; }
  constexpr T& value() & { return v_.value(); }
  constexpr const T& value() const& { return v_.value(); }
  template <class U>
  constexpr T value_or(U&& u) const& { return v_.value_or(std::forward<U>(u)); }

  friend bool operator==(const nullable& a, const nullable& b) { return a.v_ == b.v_; }
  friend bool operator==(const nullable& a, null_t) noexcept { return a.is_null(); }

 private:
  std::optional<T> v_;
};

/// An enum value that may be one this library does not know.
///
/// E is a generated `enum class` whose first member is `unknown`, with ADL-visible
/// `std::string_view to_string(E)` and `bool from_string(std::string_view, E&)`.
/// `str()` is the string as received (or as set); it is what gets sent.
template <class E>
class open_enum {
 public:
  using enum_type = E;

  open_enum() = default;  // value() == E::unknown, str() == ""
  open_enum(E v) : value_(v), str_(to_string(v)) {}
  /// Any string: value() is the matching enumerator, or E::unknown.
  explicit open_enum(std::string s) : str_(std::move(s)) {
    if (!from_string(std::string_view(str_), value_)) value_ = E::unknown;
  }

  E value() const noexcept { return value_; }
  const std::string& str() const noexcept { return str_; }
  bool known() const noexcept { return value_ != E::unknown; }

  friend bool operator==(const open_enum& a, const open_enum& b) noexcept { return a.str_ == b.str_; }
  friend bool operator==(const open_enum& a, E b) noexcept { return b != E::unknown && a.value_ == b; }

 private:
  E value_ = E::unknown;
  std::string str_;
};

/// The result of operations whose success response has no body.
struct empty_response {};

}  // namespace aiven
