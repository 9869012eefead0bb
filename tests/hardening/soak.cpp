// Soak: mixed calls through one client against the in-process simulator with
// random faults, for --seconds N. Prints RSS (VmRSS) and open descriptors every
// few seconds. With --check, fails when RSS grew more than --max-rss-growth-mib
// after the warm-up or the descriptor count changed.
//
//   aiven_soak --seconds 600 --check
#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

long open_fds() {
  long n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n - 1;  // the iterator's own descriptor
}

struct counters {
  std::atomic<std::uint64_t> calls{0}, ok{0}, failed{0}, untyped{0};
};

asio::awaitable<void> worker(aiven::client c, int id, std::chrono::steady_clock::time_point until, counters& n) {
  std::uint64_t i = static_cast<std::uint64_t>(id) * 7919;
  while (std::chrono::steady_clock::now() < until) {
    ++i;
    aiven::raw_request req;
    switch (i % 6) {
      case 0: req = aiven::raw_request::get("/v1/clouds"); break;
      case 1: req = aiven::raw_request::get("/v1/project/demo"); break;
      case 2: req = aiven::raw_request::get("/v1/project/demo/service"); break;
      case 3: req = aiven::raw_request::get("/v1/project/no-such-project"); break;  // 404
      case 4:
        req = aiven::raw_request::post("/v1/project/demo/service",
                                       R"({"service_name":"s)" + std::to_string(i % 50) +
                                           R"(","service_type":"pg","plan":"hobbyist"})");  // 201 or 409
        break;
      default: req = aiven::raw_request::get("/v1/project/demo/service/s" + std::to_string(i % 50)); break;
    }
    aiven::diagnostics d;
    aiven::error_code ec;
    if (i % 17 == 0) {
      // Some calls are cancelled midway: a short timer emits the call's
      // cancellation signal (on this worker's strand, like the call's completion).
      auto sig = std::make_shared<asio::cancellation_signal>();
      auto t = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, std::chrono::microseconds(300));
      t->async_wait([sig, t](aiven::error_code tec) {
        if (!tec) sig->emit(asio::cancellation_type::terminal);
      });
      auto [e, resp] = co_await c.async_request(std::move(req), d,
                                                asio::bind_cancellation_slot(sig->slot(), asio::as_tuple(asio::use_awaitable)));
      t->cancel();
      ec = e;
    } else {
      auto [e, resp] = co_await c.async_request(std::move(req), d, asio::as_tuple(asio::use_awaitable));
      ec = e;
    }
    ++n.calls;
    (ec ? n.failed : n.ok)++;
    if (ec && ec.category() != aiven::aiven_category() && ec != asio::error::operation_aborted) ++n.untyped;
  }
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 60, warmup = 10, every = 5, max_growth_mib = 16;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (!std::strcmp(argv[i], "--seconds")) seconds = next();
    else if (!std::strcmp(argv[i], "--warmup")) warmup = next();
    else if (!std::strcmp(argv[i], "--every")) every = next();
    else if (!std::strcmp(argv[i], "--max-rss-growth-mib")) max_growth_mib = next();
    else if (!std::strcmp(argv[i], "--check")) check = true;
    else {
      std::fprintf(stderr, "usage: aiven_soak [--seconds N] [--warmup N] [--every N] [--max-rss-growth-mib N] [--check]\n");
      return 2;
    }
  }
  if (warmup >= seconds) warmup = seconds / 4;

  aiven::sim::simulator sim(aiven::sim::simulator_options{
      .service_ready_delay = 50ms, .record_limit = 1000, .random_fault_rate = 0.05, .random_seed = 42,
      .random_retry_after_s = 0});
  asio::io_context io;
  aiven::client_options o;
  o.base_url = sim.base_url();
  o.token = sim.token();
  o.ca_pem = sim.ca_pem();
  o.request_timeout = 10s;
  o.pool.max_connections = 8;
  o.pool.max_connection_age = 2s;  // connections are recycled during the run, not only reused
  o.retry = aiven::retry_options{.max_attempts = 4, .initial_backoff = 2ms, .max_backoff = 20ms, .resume_spread = 5ms};
  aiven::client c(io.get_executor(), o);

  // One call first: the io_context's reactor opens its own descriptors on first
  // use (epoll, eventfd, timerfd). The baseline is taken after it, idle.
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto [ec, r] = co_await c.async_request(aiven::raw_request::get("/v1/clouds"), asio::as_tuple(asio::use_awaitable));
    if (ec) std::fprintf(stderr, "soak: the first call failed: %s\n", ec.message().c_str());
  }, asio::detached);
  io.run();
  io.restart();
  c.close_idle();
  std::this_thread::sleep_for(300ms);
  const long baseline_fds = open_fds();
  counters n;
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + std::chrono::seconds(seconds);
  // Each worker on its own strand: its cancelling timer and its calls'
  // completions are serialized, as Asio requires of a cancellation slot.
  for (int w = 0; w < 32; ++w) asio::co_spawn(asio::make_strand(io), worker(c, w, until, n), asio::detached);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) threads.emplace_back([&] { io.run(); });

  long first_rss = 0, first_fds = 0, last_rss = 0, last_fds = 0, peak_rss = 0;
  bool have_first = false;
  std::printf("%6s %10s %6s %10s %8s\n", "t(s)", "rss(KiB)", "fds", "calls", "failed");
  for (int t = every; t <= seconds; t += every) {
    std::this_thread::sleep_until(start + std::chrono::seconds(t));
    long rss = rss_kib(), fds = open_fds();
    std::printf("%6d %10ld %6ld %10llu %8llu\n", t, rss, fds, static_cast<unsigned long long>(n.calls.load()),
                static_cast<unsigned long long>(n.failed.load()));
    std::fflush(stdout);
    if (!have_first && t >= warmup) {
      first_rss = rss;
      first_fds = fds;
      have_first = true;
    }
    if (have_first) peak_rss = std::max(peak_rss, rss);
  }
  for (auto& t : threads) t.join();
  c.close_idle();
  // The simulator closes its side once it sees the client's closes.
  for (int i = 0; i < 30 && open_fds() > baseline_fds; ++i) std::this_thread::sleep_for(100ms);
  last_rss = rss_kib();
  last_fds = open_fds();
  std::printf("soak: %llu calls (%llu ok, %llu failed, %llu of them with a transport error after the retries) in %d s\n",
              static_cast<unsigned long long>(n.calls.load()), static_cast<unsigned long long>(n.ok.load()),
              static_cast<unsigned long long>(n.failed.load()), static_cast<unsigned long long>(n.untyped.load()),
              seconds);
  std::printf("soak: rss first-after-warmup %ld KiB, last %ld KiB, peak %ld KiB\n", first_rss, last_rss, peak_rss);
  std::printf("soak: fds before the calls %ld, first-after-warmup %ld (connections open), after close_idle %ld\n",
              baseline_fds, first_fds, last_fds);
  if (!check) return 0;
  bool ok = true;
  if (last_rss - first_rss > max_growth_mib * 1024L) {
    std::printf("soak: FAIL: RSS grew by %ld KiB (limit %d MiB)\n", last_rss - first_rss, max_growth_mib);
    ok = false;
  }
  if (last_fds > baseline_fds) {
    std::printf("soak: FAIL: open descriptors grew from %ld to %ld\n", baseline_fds, last_fds);
    ok = false;
  }
  // Connection failures that outlast the retries keep their transport error
  // (asio, ssl, beast): counted as "untyped" above, not a failure of the run.
  if (n.ok == 0) {
    std::printf("soak: FAIL: no call succeeded\n");
    ok = false;
  }
  return ok ? 0 : 1;
}
