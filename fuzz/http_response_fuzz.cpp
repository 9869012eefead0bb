// Fuzz target: the client reads arbitrary bytes as the HTTP response (status
// line, headers, chunked or sized bodies, truncation). The simulator's raw
// mode writes the input verbatim over TLS, then closes. Every call must end
// with a response or a typed error, within its deadline.
#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct harness {
  aiven::sim::simulator sim{aiven::sim::simulator_options{.threads = 1, .record_limit = 16}};
  asio::io_context io;
  aiven::client client{io.get_executor(), [this] {
                         aiven::client_options o;
                         o.base_url = sim.base_url();
                         o.token = sim.token();
                         o.ca_pem = sim.ca_pem();
                         o.request_timeout = 3s;
                         o.connect_timeout = 2s;
                         o.max_body_size = 1 << 20;
                         o.retry.max_attempts = 1;
                         o.single_flight = false;
                         return o;
                       }()};
};

harness& h() {
  static harness* instance = new harness;  // lives until exit: its threads serve every input
  return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& H = h();
  aiven::sim::fault f;
  f.kind = aiven::sim::fault_kind::raw_response;
  f.body.assign(reinterpret_cast<const char*>(data), size);
  H.sim.inject(std::move(f));

  aiven::error_code ec;
  aiven::raw_response resp;
  aiven::diagnostics diag;
  bool done = false;
  const auto started = std::chrono::steady_clock::now();
  asio::co_spawn(H.io, [&]() -> asio::awaitable<void> {
    auto req = aiven::raw_request::get("/v1/project/demo");
    auto r = co_await H.client.async_request(std::move(req), diag, asio::as_tuple(asio::use_awaitable));
    ec = std::get<0>(r);
    resp = std::move(std::get<1>(r));
    done = true;
  }, asio::detached);
  H.io.restart();
  H.io.run();
  const auto took = std::chrono::steady_clock::now() - started;

  if (!done) std::abort();
  if (took > 6s) std::abort();  // the deadline (3 s) held
  // Success only with a 2xx status; a non-2xx status is an aiven::errc.
  if (!ec && (resp.status < 200 || resp.status >= 300)) std::abort();
  if (ec && resp.status != 0 && ec.category() != aiven::aiven_category()) std::abort();
  if (resp.body.size() > (1u << 20)) std::abort();
  (void)diag.to_string();
  H.sim.clear_faults();
  H.client.close_idle();
  return 0;
}
