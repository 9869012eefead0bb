// The body type responses are read with: a string, inflated as the bytes arrive
// when the response says `Content-Encoding: gzip`, with the size limit applied to
// what is inflated (a gzip bomb is errc::body_too_large, not memory exhaustion).
#pragma once

#include "core/gzip.hpp"

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional/optional.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace aiven::detail {

struct response_body {
  /// A string (the call loop moves it out as one) that also carries the limit in
  /// and what was read: a Beast body reader is built from the message alone.
  struct value_type : std::string {
    using std::string::operator=;
    std::size_t limit = std::numeric_limits<std::size_t>::max();
    std::size_t wire_bytes = 0;  // body bytes as received (compressed, when gzip)
    bool inflated = false;
  };

  /// For prepare_payload (a test transport builds responses of this type).
  static std::uint64_t size(const value_type& v) noexcept { return v.size(); }

  class reader {
   public:
    // Beast builds the reader with the parser, before the header is read: the
    // header is looked at in init().
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>& h, value_type& b)
        : header_(&h), encoding_(&encoding_of<isRequest, Fields>), body_(b) {}

    void init(const boost::optional<std::uint64_t>& length, error_code& ec) {
      ec = {};
      std::string_view v = encoding_(header_);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      if (boost::beast::iequals(v, "gzip") || boost::beast::iequals(v, "x-gzip")) gz_.emplace();
      // Reserve for a plain body only: a compressed one's size says little.
      if (length && !gz_ && *length <= body_.limit) body_.reserve(static_cast<std::size_t>(*length));
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, error_code& ec) {
      ec = {};
      std::size_t n = 0;
      for (const auto b : boost::beast::buffers_range_ref(buffers)) {
        const std::string_view in(static_cast<const char*>(b.data()), b.size());
        n += in.size();
        body_.wire_bytes += in.size();
        if (gz_) {
          if ((ec = gz_->feed(in, body_, body_.limit))) return n;
        } else if (body_.size() + in.size() > body_.limit) {
          ec = errc::body_too_large;
          return n;
        } else {
          body_.append(in);
        }
      }
      return n;
    }

    void finish(error_code& ec) {
      ec = {};
      if (!gz_) return;
      // A gzip body that stops before its trailer was cut short: its CRC was never checked.
      if (body_.wire_bytes > 0 && !gz_->finished()) ec = errc::bad_response;
      body_.inflated = body_.wire_bytes > 0;
    }

   private:
    template <bool isRequest, class Fields>
    static std::string_view encoding_of(const void* h) {
      const auto& m = *static_cast<const boost::beast::http::header<isRequest, Fields>*>(h);
      const auto v = m[boost::beast::http::field::content_encoding];
      return std::string_view(v.data(), v.size());
    }

    const void* header_;
    std::string_view (*encoding_)(const void*);
    value_type& body_;
    std::optional<gzip_inflater> gz_;
  };
};

}  // namespace aiven::detail
