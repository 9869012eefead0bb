// The call loop's seam (as Azure SDK core's HttpTransport, or google-cloud-cpp's
// retry loop with its Sleeper): everything run_call does that touches the
// network or the clock goes through this interface, so tests drive the real
// loop over a scripted transport and a manual clock (tests/unit/call_loop_test.cpp).
// One virtual call per step; the production implementation forwards to the
// pool and the transport functions without a coroutine frame of its own, except
// for open() (once per new connection) and wait_until() (only when a call waits).
#pragma once

#include "core/pool.hpp"
#include "core/transport.hpp"

#include <aiven/client.hpp>

#include <boost/asio/awaitable.hpp>

#include <utility>

namespace aiven::detail {

class client_impl;

struct open_result {
  error_code ec;
  bool verify_failed = false;  // certificate verification: another attempt cannot fix it
};

class call_transport {
 public:
  virtual ~call_transport() = default;

  virtual clock::time_point now() const noexcept = 0;
  /// Completes at `at`, or with operation_aborted at the caller's cancellation.
  virtual asio::awaitable<error_code> wait_until(clock::time_point at) = 0;
  /// A pool slot, maybe with an idle connection (connection_pool::acquire).
  virtual asio::awaitable<std::pair<error_code, lease>> acquire(clock::time_point deadline) = 0;
  virtual void release(lease l, bool reusable) = 0;
  /// The request goes again on a fresh connection: the reused one failed before answering.
  virtual void stale_resend() = 0;
  /// Resolves, connects and handshakes a new connection into l.conn, within
  /// `deadline` and the client's connect_timeout. On failure l.conn is empty
  /// and d.client_message says which phase failed and why.
  virtual asio::awaitable<open_result> open(lease& l, clock::time_point deadline, diagnostics& d) = 0;
  /// async_exchange on the lease's connection.
  virtual asio::awaitable<exchange_result> exchange(connection& c, const http::request<http::string_body>& req,
                                                    std::size_t max_body, clock::time_point deadline) = 0;
};

/// Production: the client's pool, resolver and sockets, the steady clock and timer.
class pool_transport final : public call_transport {
 public:
  explicit pool_transport(client_impl& impl) noexcept : impl_(impl) {}

  clock::time_point now() const noexcept override { return clock::now(); }
  asio::awaitable<error_code> wait_until(clock::time_point at) override;
  asio::awaitable<std::pair<error_code, lease>> acquire(clock::time_point deadline) override;
  void release(lease l, bool reusable) override;
  void stale_resend() override;
  asio::awaitable<open_result> open(lease& l, clock::time_point deadline, diagnostics& d) override;
  asio::awaitable<exchange_result> exchange(connection& c, const http::request<http::string_body>& req,
                                            std::size_t max_body, clock::time_point deadline) override {
    return async_exchange(c, req, max_body, deadline);
  }

 private:
  client_impl& impl_;
};

}  // namespace aiven::detail
