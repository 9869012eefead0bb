// A token's budget per window shared through Redis/Valkey by every process that uses the
// token (rate_limit_options::shared_redis_url; docs/rate-limits.md).
//
// Each process's own governor still tells a rate from a window and learns the period;
// the first to learn a window publishes it, and from then on every process admits its
// calls from one budget kept in the server by an atomic script (the same window rules
// as the local governor: a budget per period anchored on the window's first answer,
// probes for more once it is spent). Every answer is reported, so the budget learned is
// what passed for all of them, and a 429 shrinks it for all. Time is the Redis server's
// (TIME in the script): processes on several machines need no common clock.
//
// While nothing is published, and whenever the server cannot be reached in time, the
// local governor admits: the shared limiter never fails a call.
#pragma once

#include "core/redis_link.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace aiven::detail {

class shared_budget {
 public:
  /// `key`: the token's key in the server (a digest of host and token, not the token).
  shared_budget(boost::asio::any_io_executor ex, redis_endpoint ep, std::string key, std::chrono::milliseconds timeout);
  ~shared_budget();

  struct admission {
    bool reserved = true;             ///< false: closed; ask again after `wait`
    std::chrono::microseconds wait{};  ///< from now
    long long tag = 0;                ///< the slot in the server's time: passed back with the answer
  };
  enum class source {
    shared,       ///< admitted from the shared budget
    local,        ///< nothing published yet: the local governor admits
    unreachable,  ///< the server could not be asked in time (`unreachable()` says why): the local governor admits
  };
  struct answer {
    source from = source::local;
    admission a;
  };
  boost::asio::awaitable<answer> admit();
  /// The answer to an attempt (`tag`: its admission's, 0 when the local governor admitted it).
  void report(bool refused, long long tag, std::optional<std::chrono::milliseconds> hint);
  /// The local governor learned a window: publish it, unless another process did first.
  void learn(std::chrono::microseconds period, std::chrono::microseconds reopen_in, std::chrono::microseconds pace);

  /// The last ask failed (the server down, slow, or refusing the script): why, else "".
  std::string unreachable() const;
  std::uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }

  /// The script, for tests that drive it directly.
  static const std::string& script();

 private:
  std::vector<std::string> eval(std::vector<std::string> argv) const;
  void fail(std::string why);
  std::vector<std::string> admit_command() const;
  std::shared_ptr<redis_link> link_;
  std::string key_, sha_;
  std::chrono::milliseconds timeout_;
  std::atomic<std::uint64_t> failures_{0};
  mutable std::mutex why_mu_;
  std::string why_;
};

}  // namespace aiven::detail
