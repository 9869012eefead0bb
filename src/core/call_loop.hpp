// The call loop: one call's attempts, retries, pauses and deadline, driven by
// call_fsm (the decisions) over the pool and the transport (the I/O).
#pragma once

#include "core/call.hpp"
#include "core/client_impl.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace aiven::detail {

struct call_spec {
  std::string operation_id;
  http_method method = http_method::get;
  std::string target;
  std::string body;
  std::string content_type;
  std::string accept;
  bool idempotent = true;
  bool parse_json = false;
  std::shared_ptr<response_decoder> decoder;  // typed calls: decodes 2xx bodies in the attempt
  retry_options retry;
  std::chrono::milliseconds timeout{};
  bool settle = false;  // settle after writes (src/core/settle.cpp)
  const char* path_template = nullptr;  // typed calls: checked against the target's path parameters
  std::uint32_t secret_segments = 0;    // shown as [REDACTED]
  /// A single-flight request: the latest deadline of its participants (clock
  /// ticks), moved later as participants join. Null for a call of its own.
  std::shared_ptr<std::atomic<clock::rep>> shared_deadline;
};

struct call_result {
  error_code ec;
  raw_response response;
  std::size_t wire_bytes = 0;  // the body as received (compressed, when gzip)
  // Constructed (never assigned) from the parse: assigning a value across memory
  // resources would copy the tree out of its arena.
  std::optional<boost::json::value> json;
};

/// A call's cancellation, used on the call's strand only. In Boost 1.81 a
/// cancellation that reaches co_spawn's coroutine before run_call starts, or
/// that makes a co_await throw as run_call finishes, escapes co_spawn as an
/// exception (std::terminate). So run_call turns exceptions off first, and a
/// cancellation that comes before that is kept in `pending` and read there.
struct call_cancellation {
  asio::cancellation_signal signal;
  asio::cancellation_type pending = asio::cancellation_type::none;
  bool started = false;
  bool finished = false;
};

/// What a call's diagnostics say before any attempt: which call it is.
void start_diagnostics(diagnostics& d, const call_spec& spec);

/// The whole call within its deadline. Cancellation aborts any wait, closes a
/// busy connection, and is checked after every wait before anything is written.
asio::awaitable<call_result> run_call(std::shared_ptr<client_impl> keep, call_spec spec, diagnostics* diag,
                                      std::shared_ptr<call_cancellation> cc);

}  // namespace aiven::detail
