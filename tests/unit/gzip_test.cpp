// The gzip inflater the response body reader uses: whole and byte-by-byte input,
// the limit on the inflated size, and every way a body can fail to be gzip.
#include "core/gzip.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace aiven;
using aiven::detail::accepts_gzip;
using aiven::detail::gzip_compress;
using aiven::detail::gzip_inflater;

namespace {
std::string sample() {
  std::string s;
  for (int i = 0; i < 2000; ++i) s += R"({"cloud_name":"aws-eu-west-)" + std::to_string(i) + R"(","geo_region":"europe"},)";
  return s;
}
}  // namespace

TEST_SUITE("unit.gzip") {
  TEST_CASE("a body inflates to what was compressed, fed whole or one byte at a time") {
    const std::string plain = sample();
    const std::string gz = gzip_compress(plain);
    CHECK(gz.size() * 5 < plain.size());
    {
      gzip_inflater in;
      std::string out;
      CHECK_FALSE(in.feed(gz, out, plain.size()));
      CHECK(in.finished());
      CHECK(out == plain);
    }
    gzip_inflater in;
    std::string out;
    for (char c : gz) REQUIRE_FALSE(in.feed(std::string_view(&c, 1), out, plain.size()));
    CHECK(in.finished());
    CHECK(out == plain);
  }

  TEST_CASE("the limit is on the inflated size: a bomb stops at the limit") {
    const std::string zeros(16u << 20, '\0');
    const std::string gz = gzip_compress(zeros);
    CHECK(gz.size() < 100'000);
    gzip_inflater in;
    std::string out;
    CHECK(in.feed(gz, out, 1u << 20) == errc::body_too_large);
    CHECK(out.size() <= 1u << 20);
  }

  TEST_CASE("not gzip, a corrupt CRC, bytes after the end and a cut body are each told") {
    const std::string plain = sample();
    std::string out;
    {
      gzip_inflater in;
      CHECK(in.feed(plain, out, 1u << 24) == errc::bad_response);
    }
    {
      std::string gz = gzip_compress(plain);
      gz[gz.size() - 6] ^= 0x55;  // in the CRC-32 of the trailer
      gzip_inflater in;
      out.clear();
      CHECK(in.feed(gz, out, 1u << 24) == errc::bad_response);
    }
    {
      gzip_inflater in;
      out.clear();
      CHECK(in.feed(gzip_compress(plain) + "xx", out, 1u << 24) == errc::bad_response);
    }
    {
      const std::string gz = gzip_compress(plain);
      gzip_inflater in;
      out.clear();
      CHECK_FALSE(in.feed(std::string_view(gz).substr(0, gz.size() / 2), out, 1u << 24));
      CHECK_FALSE(in.finished());  // the body reader turns this into bad_response
    }
  }

  TEST_CASE("Accept-Encoding values that accept gzip, and those that refuse it") {
    CHECK(accepts_gzip("gzip"));
    CHECK(accepts_gzip("deflate, GZIP;q=0.5"));
    CHECK(accepts_gzip("*"));
    CHECK(accepts_gzip("br, x-gzip"));
    CHECK_FALSE(accepts_gzip("gzip;q=0"));
    CHECK_FALSE(accepts_gzip("gzip;q=0.000"));
    CHECK_FALSE(accepts_gzip("identity"));
    CHECK_FALSE(accepts_gzip(""));
    CHECK_FALSE(accepts_gzip("gzipx"));
  }
}
