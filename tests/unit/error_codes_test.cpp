// The generated table of Aiven's error codes and the diagnostics helpers over it.
#include <aiven/diagnostics.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace aiven;

TEST_SUITE("util.error_codes") {
  TEST_CASE("every code round-trips through its string; the table is the document's 293") {
    CHECK(api_error_code_count == 293);
    std::set<std::string> names;
    for (std::size_t i = 1; i <= api_error_code_count; ++i) {
      const auto c = static_cast<api_error_code>(i);
      const std::string s(to_string(c));
      REQUIRE(!s.empty());
      names.insert(s);
      api_error_code back{};
      REQUIRE(from_string(s, back));
      CHECK(back == c);
    }
    CHECK(names.size() == 293);
    CHECK(to_string(api_error_code::unknown).empty());
    CHECK(to_string(api_error_code::kafka_topic_already_exists) == "kafka_topic_already_exists");
    CHECK(to_string(api_error_code::not_powered) == "not_powered");
    api_error_code out = api_error_code::not_powered;
    CHECK(!from_string("no_such_code_yet", out));
    CHECK(out == api_error_code::not_powered);  // left alone
    CHECK(!from_string("", out));
  }

  TEST_CASE("an error item's typed code: known, unknown kept as its string, absent") {
    api_error_item known{.message = "Topic exists", .status = 409, .error_code = "kafka_topic_already_exists"};
    CHECK(known.code() == api_error_code::kafka_topic_already_exists);
    CHECK(known.code().known());
    api_error_item later{.message = "x", .status = 409, .error_code = "a_code_from_next_year"};
    CHECK(later.code().value() == api_error_code::unknown);
    CHECK(later.code().str() == "a_code_from_next_year");
    CHECK(!(later.code() == api_error_code::unknown));  // unknown never compares equal to a value
    api_error_item none{.message = "x", .status = 500};
    CHECK(!none.code().known());
  }

  TEST_CASE("has_error_code, first_error_code, is_already_exists") {
    diagnostics d;
    d.http_status = 409;
    d.errors.push_back({.message = "a", .status = 409, .error_code = "something_new"});
    d.errors.push_back({.message = "b", .status = 409, .error_code = "kafka_topic_already_exists"});
    CHECK(has_error_code(d, api_error_code::kafka_topic_already_exists));
    CHECK(!has_error_code(d, api_error_code::not_powered));
    CHECK(!has_error_code(d, api_error_code::unknown));
    CHECK(has_error_code(d, "something_new"));
    CHECK(first_error_code(d) == api_error_code::kafka_topic_already_exists);
    CHECK(is_already_exists(d));
    d.http_status = 400;
    CHECK(!is_already_exists(d));  // only a conflict
    diagnostics other;
    other.http_status = 409;
    other.errors.push_back({.message = "Database not powered on", .status = 409, .error_code = "not_powered"});
    CHECK(!is_already_exists(other));  // a conflict, not "already exists"
    CHECK(first_error_code(diagnostics{}) == api_error_code::unknown);
  }
}
