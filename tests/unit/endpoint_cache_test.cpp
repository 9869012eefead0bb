// The resolved-address cache: used for endpoint_ttl, forgotten after a connect failure.
#include "core/client_impl.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace aiven::detail;
using namespace std::chrono_literals;

TEST_SUITE("resolve.cache") {
  TEST_CASE("addresses are used for the ttl, then resolved again") {
    const auto t0 = clock::time_point{} + 1h;
    endpoint_cache<std::string> c(endpoint_ttl);
    CHECK(c.get(t0) == nullptr);
    c.store("10.0.0.1", t0);
    REQUIRE(c.get(t0 + 1s) != nullptr);
    CHECK(*c.get(t0 + endpoint_ttl - 1ms) == "10.0.0.1");
    CHECK(c.get(t0 + endpoint_ttl) == nullptr);  // a black-holed address is not kept forever
  }
  TEST_CASE("a connect failure forgets them at once") {
    const auto t0 = clock::time_point{} + 1h;
    endpoint_cache<std::string> c(endpoint_ttl);
    c.store("10.0.0.1", t0);
    c.forget();
    CHECK(c.get(t0) == nullptr);
  }
}
