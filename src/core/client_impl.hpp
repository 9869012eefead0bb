// The shared state behind aiven::client handles.
#pragma once

#include "core/pool.hpp"
#include "core/retry.hpp"
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

namespace aiven::detail {

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
  const endpoint_info& endpoint() const noexcept { return endpoint_; }

  /// The resolved addresses of the host, resolved once and cached.
  asio::awaitable<std::pair<error_code, tcp::resolver::results_type>> resolve();
  void forget_endpoints();

  limiter& admission() noexcept { return limiter_; }
  std::uint64_t next_seed() noexcept { return seed_.fetch_add(0x9e3779b97f4a7c15ULL, std::memory_order_relaxed); }

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

 private:
  asio::any_io_executor ex_;
  client_options opts_;
  settle_tracker settle_{opts_.settle};  // what this client created lately (settle after writes)
  base_url url_;
  std::optional<asio::ssl::context> ssl_;
  connection_pool pool_;
  std::string authorization_;
  endpoint_info endpoint_;
  std::mutex resolve_mu_;
  std::optional<tcp::resolver::results_type> endpoints_;
  limiter limiter_;
  std::atomic<std::uint64_t> seed_;
};

}  // namespace aiven::detail
