// Single-flight: concurrent identical GETs share one request on the wire.
#pragma once

#include "core/completion.hpp"

#include <memory>

namespace aiven::detail {

/// Joins the flight of an identical pending GET, or starts one. The caller keeps
/// its own deadline (spec.timeout) and cancellation (done's slot).
void join_flight(const std::shared_ptr<client_impl>& impl, call_spec spec, diagnostics* diag, completion done);

}  // namespace aiven::detail
