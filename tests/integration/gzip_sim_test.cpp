// gzip end to end: the simulator compresses what a client accepts gzip for; the
// bytes on the wire with and without it, for the cloud catalogue.
#include "support/run.hpp"

#include <aiven/api/cloud_platforms.hpp>
#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <mutex>

using namespace aiven;
namespace asio = boost::asio;

namespace {
struct sizes {
  std::mutex mu;
  std::size_t inflated = 0, wire = 0;
};

std::size_t typed_clouds(const sim::simulator& s, bool gzip, sizes& seen) {
  auto o = test::sim_options(s);
  o.accept_gzip = gzip;
  o.on_attempt = [&seen](const attempt_record& r) {
    std::lock_guard lk(seen.mu);
    seen.inflated += r.response_bytes;
    seen.wire += r.response_wire_bytes;
  };
  asio::io_context io;
  client c(io.get_executor(), o);
  return test::run(io, [&]() -> asio::awaitable<std::size_t> {
    auto out = co_await api::async_list_clouds(c);
    co_return out.size();
  });
}
}  // namespace

TEST_SUITE("integration.gzip") {
  TEST_CASE("the simulator gzips the cloud catalogue; the typed result is the same either way") {
    sim::simulator s;
    sizes with, without;
    const auto n_gz = typed_clouds(s, true, with);
    const auto n_plain = typed_clouds(s, false, without);
    CHECK(n_gz > 50);
    CHECK(n_gz == n_plain);
    CHECK(with.inflated == without.inflated);
    CHECK(without.wire == without.inflated);
    CHECK(with.wire * 4 < with.inflated);
    MESSAGE("GET /v1/clouds: " << without.wire << " B on the wire plain, " << with.wire << " B gzipped");
  }
}
