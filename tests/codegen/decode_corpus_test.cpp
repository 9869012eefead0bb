// The differential check of fuzz_decode (fuzz/decode_differential.hpp) over every input of the
// committed corpus fuzz/corpus/decode: the SAX decoders and the tree reference agree.
#define AIVEN_CODEC_TREE_REFERENCE 1
#include "api/common.cpp"
#include "api/service.cpp"

#include "decode_service_checks.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#ifndef AIVEN_DECODE_CORPUS
#error "AIVEN_DECODE_CORPUS: the folder of the decode corpus"
#endif

TEST_SUITE("codec.differential") {
  TEST_CASE("the SAX decoders and the tree reference agree on every corpus input") {
    std::size_t inputs = 0, decoded = 0;
    for (const auto& e : std::filesystem::directory_iterator(AIVEN_DECODE_CORPUS)) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      CAPTURE(e.path().filename().string());
      CHECK(aiven::differential::check(body) == "");
      ++inputs;
      aiven::api::service_get_out out;
      if (!aiven::codec::sax::decode_body(body, out, "service", nullptr) && !out.service_name.empty()) ++decoded;
    }
    MESSAGE(inputs << " inputs, " << decoded << " of them a service that decodes");
    CHECK(inputs > 200);
    CHECK(decoded > 0);  // the corpus holds real bodies, not only broken ones
  }
}

TEST_SUITE("codec.models") {
  TEST_CASE("a query's backend_xid sent as a string of digits is an integer") {
    const std::string body =
        R"({"queries":[{"backend_xid":"3535229570","backend_xmin":null,"pid":4242,"query":"select 1"}]})";
    std::vector<aiven::api::service_query_out> out;
    aiven::diagnostics d;
    CHECK_FALSE(aiven::codec::sax::decode_body(body, out, "queries", &d));
    REQUIRE(out.size() == 1);
    CHECK(out[0].backend_xid == 3535229570);
    CHECK_FALSE(out[0].backend_xmin.has_value());
    CHECK(aiven::differential::compare<std::vector<aiven::api::service_query_out>>(body, "queries", "queries") == "");
  }
}
