// gzip (RFC 1952) over zlib: the inflater the response body reader feeds as bytes
// arrive, and the compressor the simulator and the tests answer with.
#pragma once

#include <aiven/error.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace aiven::detail {

class gzip_inflater {
 public:
  gzip_inflater();
  ~gzip_inflater();
  gzip_inflater(const gzip_inflater&) = delete;
  gzip_inflater& operator=(const gzip_inflater&) = delete;

  /// Inflates `in` and appends to `out`. errc::body_too_large as soon as `out` would
  /// pass `limit` (the limit is on what is inflated: a small bomb is refused early);
  /// errc::bad_response for bytes that are not gzip, or for bytes after its end.
  error_code feed(std::string_view in, std::string& out, std::size_t limit);
  /// True once the gzip trailer (CRC and length, checked by zlib) has been read.
  bool finished() const noexcept { return finished_; }

 private:
  struct state;
  std::unique_ptr<state> s_;
  bool finished_ = false;
};

/// The gzip encoding of `in` (for the simulator's answers and the tests); level 1-9.
std::string gzip_compress(std::string_view in, int level = 6);

/// True when an Accept-Encoding value accepts gzip (`gzip`, `gzip;q=0.5`, `*`), not `gzip;q=0`.
bool accepts_gzip(std::string_view accept_encoding) noexcept;

}  // namespace aiven::detail
