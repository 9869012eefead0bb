// Admission of calls (client_impl::max_running() at once, the rest queued).
#pragma once

#include "core/completion.hpp"

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/strand.hpp>

#include <memory>

namespace aiven::detail {

/// Runs the call on `strand` now, or queues it until a running call finishes
/// (its deadline and the caller's cancellation still apply while it waits).
/// `done` completes on its handler's executor, never inside this function.
void spawn_call(const std::shared_ptr<client_impl>& impl, call_spec spec, diagnostics* diag, completion done,
                asio::cancellation_slot slot, asio::strand<asio::any_io_executor> strand);

}  // namespace aiven::detail
