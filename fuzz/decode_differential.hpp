// The differential check of the typed decoders, shared by fuzz_decode and the ctest over the
// committed corpus (tests/codegen/decode_corpus_test.cpp): the SAX decoders the calls run, fed
// in one piece and in small pieces, and the tree decoders kept as their reference
// (json::parse, then json::value -> model) must agree on every input.
//
// Include after the generated TUs of the types it compares, compiled with
// AIVEN_CODEC_TREE_REFERENCE defined (the tree decoders are the reference).
#pragma once

#include "codec/json_codec.hpp"
#include "codec/json_sax.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace aiven::differential {

// Counts keys as the parser sees them, so that an input whose objects repeat a key can be told
// apart: there the tree keeps the last member only, while the SAX decoders decode each one
// (an earlier one that does not fit fails; an object given twice is decoded into twice).
struct key_counter {
  using string_view = boost::json::string_view;
  using error_code = boost::json::error_code;
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();
  std::size_t keys = 0;
  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t, error_code&) { return true; }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t, error_code&) { return true; }
  bool on_key_part(string_view, std::size_t, error_code&) { return true; }
  bool on_key(string_view, std::size_t, error_code&) {
    ++keys;
    return true;
  }
  bool on_string_part(string_view, std::size_t, error_code&) { return true; }
  bool on_string(string_view, std::size_t, error_code&) { return true; }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t, string_view, error_code&) { return true; }
  bool on_uint64(std::uint64_t, string_view, error_code&) { return true; }
  bool on_double(double, string_view, error_code&) { return true; }
  bool on_bool(bool, error_code&) { return true; }
  bool on_null(error_code&) { return true; }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }
};

inline std::size_t members_in(const boost::json::value& v) {
  std::size_t n = 0;
  if (const auto* o = v.if_object()) {
    n += o->size();
    for (const auto& kv : *o) n += members_in(kv.value());
  } else if (const auto* a = v.if_array()) {
    for (const auto& x : *a) n += members_in(x);
  }
  return n;
}

inline bool repeats_a_key(std::string_view body, const boost::json::value& tree) {
  boost::json::basic_parser<key_counter> p{boost::json::parse_options{}};
  boost::json::error_code ec;
  p.write_some(false, body.data(), body.size(), ec);
  return p.handler().keys != members_in(tree);
}

/// An empty string when both decoders agree on `body` decoded as T (its member `unwrap`, or
/// the whole body), else what differs.
template <class T>
std::string compare(std::string_view body, std::string_view unwrap, const char* what) {
  const std::string name = std::string(what) + (unwrap.empty() ? "" : " <- ." + std::string(unwrap));
  T sax{};
  diagnostics sd;
  const error_code sec = codec::sax::decode_body(body, sax, unwrap, &sd);
  if (sec && (sec != errc::bad_response || sd.client_message.empty()))
    return name + ": a failure that is not errc::bad_response with a message";

  // The same bytes in small pieces, as the transport will feed them.
  T piecewise{};
  diagnostics pd;
  {
    codec::sax::decoder d(codec::sax::target_of(piecewise), unwrap);
    const std::size_t step = 1 + body.size() % 13;
    for (std::size_t i = 0; i < body.size(); i += step) d.write(body.substr(i, step));
    if (d.finish(&pd) != sec || pd.client_message != sd.client_message)
      return name + ": in pieces: " + pd.client_message + " / in one piece: " + sd.client_message;
  }
  if (!sec && !(piecewise == sax)) return name + ": in pieces the result differs";

  boost::json::error_code pec;
  const boost::json::value v = body.empty() ? boost::json::value() : boost::json::parse(body, pec);
  if (pec) {
    // Not JSON. The SAX decoder may stop earlier, at a member that does not fit.
    if (sec != errc::bad_response) return name + ": not JSON (" + pec.message() + "), yet decoded";
    return {};
  }
  T tree{};
  diagnostics td;
  const error_code tec = unwrap.empty() ? codec::body_decoder{}(v, tree, &td) : codec::member_decoder{unwrap}(v, tree, &td);
  if (bool(tec) != bool(sec)) {
    if (repeats_a_key(body, v)) return {};
    return name + ": tree: " + (tec ? td.client_message : "ok") + " / SAX: " + (sec ? sd.client_message : "ok");
  }
  if (!sec && !(tree == sax) && !repeats_a_key(body, v)) return name + ": the results differ";
  return {};
}

}  // namespace aiven::differential
