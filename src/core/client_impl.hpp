// The shared state behind aiven::client handles.
#pragma once

#include "core/call_transport.hpp"
#include "core/pool.hpp"
#include "core/retry.hpp"
#include "core/shared_budget.hpp"
#include "core/transport.hpp"
#include "core/url.hpp"

#include <aiven/client.hpp>
#include <aiven/settle.hpp>

#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace aiven::detail {

/// Header values are sent verbatim: CR/LF would let a value add headers.
inline bool has_control_chars(std::string_view s) noexcept {
  for (unsigned char ch : s)
    if (ch < 0x20 || ch == 0x7f) return true;
  return false;
}

/// Resolved addresses are used this long, then resolved again (DNS changes,
/// a black-holed address), and forgotten at once after a connect failure.
inline constexpr std::chrono::seconds endpoint_ttl{60};

/// The last resolution of the host, with its age.
template <class Entries>
class endpoint_cache {
 public:
  explicit endpoint_cache(clock::duration ttl) : ttl_(ttl) {}
  /// The addresses, or null when none are known or they are older than the ttl.
  const Entries* get(clock::time_point now) const noexcept {
    return entries_ && now - stored_ < ttl_ ? &*entries_ : nullptr;
  }
  void store(Entries e, clock::time_point now) {
    entries_ = std::move(e);
    stored_ = now;
  }
  void forget() noexcept { entries_.reset(); }

 private:
  clock::duration ttl_;
  std::optional<Entries> entries_;
  clock::time_point stored_{};
};

struct flight;       // a GET shared by concurrent identical calls (client.cpp)
struct queued_call;  // a call waiting for its turn to run (client.cpp)

class client_impl {
 public:
  client_impl(asio::any_io_executor ex, client_options opts);

  const asio::any_io_executor& executor() const noexcept { return ex_; }
  const client_options& options() const noexcept { return opts_; }
  settle_tracker& settle() noexcept { return settle_; }
  const base_url& url() const noexcept { return url_; }
  const std::string& authorization() const noexcept { return authorization_; }
  asio::ssl::context* ssl_context() noexcept { return ssl_ ? &*ssl_ : nullptr; }
  connection_pool& pool() noexcept { return pool_; }
  /// What run_call does I/O and reads the time through (call_transport.hpp).
  call_transport& transport() noexcept { return *transport_; }
  /// Tests only (tests/unit/call_loop_test.cpp): replaces the pool, the sockets
  /// and the clock of this client's calls; null puts the production ones back.
  /// Set before any call starts.
  void set_transport(std::shared_ptr<call_transport> t) noexcept {
    override_ = std::move(t);
    transport_ = override_ ? override_.get() : &default_transport_;
  }
  const endpoint_info& endpoint() const noexcept { return endpoint_; }

  /// The addresses of the host (of the proxy, when there is one), cached for
  /// endpoint_ttl. Waits no later than `deadline` (errc::timeout) and stops at
  /// the caller's cancellation (operation_aborted).
  asio::awaitable<std::pair<error_code, tcp::resolver::results_type>> resolve(clock::time_point deadline);
  /// After a connect failure: the address may be the one that stopped answering.
  void forget_endpoints();

  limiter& admission() noexcept { return limiter_; }
  /// The budget shared across processes (rate_limit_options::shared_redis_url), or null.
  shared_budget* shared() noexcept { return shared_.get(); }
  std::uint64_t next_seed() noexcept { return seed_.fetch_add(0x9e3779b97f4a7c15ULL, std::memory_order_relaxed); }

  // Mutexes held for a few pointer moves, never across a wait: calls enter and
  // leave the queue and the flights from their own strands on any thread.
  std::mutex flights_mu;
  std::map<std::string, std::shared_ptr<flight>> flights;  // by request key
  // Calls beyond max_running() wait here as a few hundred bytes each instead
  // of as a suspended chain of coroutine frames (a few KB): 10,000 calls in
  // flight through a pool of 64 stay small.
  std::size_t max_running() const noexcept { return 2 * opts_.pool.max_connections; }
  std::mutex queue_mu;
  std::size_t running = 0;  // calls spawned and not finished (under queue_mu)
  std::size_t queued = 0;   // entries of `queue` not yet taken (under queue_mu)
  std::deque<std::shared_ptr<queued_call>> queue;
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> shared_flights{0};
  std::atomic<std::uint64_t> rate_limited{0};

 private:
  asio::any_io_executor ex_;
  client_options opts_;
  settle_tracker settle_{opts_.settle};  // what this client created lately (settle after writes)
  base_url url_;
  std::optional<asio::ssl::context> ssl_;
  connection_pool pool_;
  std::string authorization_;
  endpoint_info endpoint_;
  // A mutex, not a strand: calls on any thread read the cache, each holding it
  // for a copy of the addresses only, never across a wait.
  std::mutex resolve_mu_;
  endpoint_cache<tcp::resolver::results_type> endpoints_{endpoint_ttl};
  limiter limiter_;
  std::unique_ptr<shared_budget> shared_;
  std::atomic<std::uint64_t> seed_;
  // Embedded, not allocated: the production path costs nothing more than a pointer.
  pool_transport default_transport_{*this};
  std::shared_ptr<call_transport> override_;
  call_transport* transport_ = &default_transport_;
};

}  // namespace aiven::detail
