#include "core/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace aiven::detail {

struct gzip_inflater::state {
  z_stream z{};
  bool ok = false;
  ~state() {
    if (ok) inflateEnd(&z);
  }
};

gzip_inflater::gzip_inflater() : s_(std::make_unique<state>()) {
  // 16 + MAX_WBITS: a gzip wrapper (header, CRC-32 and length trailer), not zlib's.
  s_->ok = inflateInit2(&s_->z, 16 + MAX_WBITS) == Z_OK;
}

gzip_inflater::~gzip_inflater() = default;

error_code gzip_inflater::feed(std::string_view in, std::string& out, std::size_t limit) {
  if (!s_->ok) return errc::bad_response;
  if (in.empty()) return {};
  if (finished_) return errc::bad_response;  // bytes after the gzip member
  auto& z = s_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  char chunk[16 * 1024];
  // Until all input is taken and the last round did not fill the chunk (output
  // may still be pending behind a highly compressed tail).
  do {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    const int rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t produced = sizeof chunk - z.avail_out;
    if (out.size() + produced > limit) return errc::body_too_large;
    out.append(chunk, produced);
    if (rc == Z_STREAM_END) {
      finished_ = true;
      return z.avail_in == 0 ? error_code{} : error_code(errc::bad_response);
    }
    if (rc == Z_BUF_ERROR) {
      if (produced == 0) return {};  // no progress possible until more input
    } else if (rc != Z_OK) {
      return errc::bad_response;  // not gzip, corrupt data, or a CRC/length mismatch
    }
  } while (z.avail_in > 0 || z.avail_out == 0);
  return {};
}

std::string gzip_compress(std::string_view in, int level) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::bad_alloc();
  std::string out;
  out.resize(deflateBound(&z, static_cast<uLong>(in.size())) + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip_compress: deflate did not finish");
  return out;
}

bool accepts_gzip(std::string_view v) noexcept {
  auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  while (!v.empty()) {
    const auto comma = v.find(',');
    std::string_view item = trim(v.substr(0, comma));
    v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
    std::string_view coding = item, params;
    if (const auto semi = item.find(';'); semi != std::string_view::npos) {
      coding = trim(item.substr(0, semi));
      params = trim(item.substr(semi + 1));
    }
    std::string c;
    for (char ch : coding) c += lower(ch);
    if (c != "gzip" && c != "x-gzip" && c != "*") continue;
    // q=0 (0, 0.0, 0.000) refuses the coding.
    if (params.size() >= 2 && lower(params[0]) == 'q' && params[1] == '=') {
      const auto q = params.substr(2);
      if (!q.empty() && std::all_of(q.begin(), q.end(), [](char ch) { return ch == '0' || ch == '.'; })) continue;
    }
    return true;
  }
  return false;
}

}  // namespace aiven::detail
