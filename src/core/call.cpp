// The call API: the erased entry points of the generated layer and the raw
// layer, down to admission or single-flight.
#include "core/call.hpp"

#include "core/admission.hpp"
#include "core/completion.hpp"
#include "core/flight.hpp"

#include <boost/asio/strand.hpp>

namespace aiven {
namespace detail {
namespace {

call_spec spec_from(call_request req) {
  call_spec s;
  s.operation_id = req.op->operation_id;
  s.method = req.op->method;
  s.target = std::move(req.target);
  s.body = std::move(req.body);
  s.content_type = std::move(req.content_type);
  s.accept = req.op->accept ? req.op->accept : "application/json";
  s.idempotent = req.op->idempotent;
  s.path_template = req.op->path_template;
  s.secret_segments = req.op->secret_segments;
  s.decoder = std::move(req.decoder);
  return s;
}

void start_call(const client& c, call_spec spec, diagnostics* diag, completion done) {
  auto& impl = c.impl();
  if (auto why = spec.path_template ? check_path_params(spec.path_template, spec.target) : std::string(); !why.empty()) {
    if (diag) {
      start_diagnostics(*diag, spec);
      diag->client_message = std::move(why);
    }
    std::move(done).complete(failed(errc::invalid_argument), &impl.executor());
    return;
  }
  const auto& over = c.call_overrides();
  spec.timeout = over.timeout.value_or(impl.options().request_timeout);
  spec.retry = over.retry.value_or(impl.options().retry);
  if (over.idempotent) spec.idempotent = *over.idempotent;
  spec.settle = over.settle.value_or(impl.options().settle.enabled);
  const bool single_flight = over.single_flight.value_or(impl.options().single_flight) &&
                           spec.method == http_method::get && spec.body.empty();
  if (single_flight) {
    join_flight(c.impl_shared(), std::move(spec), diag, std::move(done));
    return;
  }
  auto slot = done.slot();
  spawn_call(c.impl_shared(), std::move(spec), diag, std::move(done), slot, asio::make_strand(impl.executor()));
}

}  // namespace

void async_call_raw(const client& c, call_request req, diagnostics* diag, raw_handler handler) {
  start_call(c, spec_from(std::move(req)), diag, completion(std::move(handler), c.impl().executor()));
}

void async_call_json(const client& c, call_request req, diagnostics* diag, json_handler handler) {
  auto spec = spec_from(std::move(req));
  spec.parse_json = true;
  start_call(c, std::move(spec), diag, completion(std::move(handler), c.impl().executor()));
}

}  // namespace detail

void client::async_request_erased(raw_request req, diagnostics* diag,
                                  boost::asio::any_completion_handler<void(error_code, raw_response)> handler) const {
  detail::call_spec spec;
  spec.operation_id = std::move(req.operation_id);
  spec.method = req.method;
  spec.idempotent = req.method != http_method::post && req.method != http_method::patch;
  spec.content_type = std::move(req.content_type);
  spec.accept = std::move(req.accept);
  spec.body = std::move(req.body);
  spec.target = std::move(req.path);
  spec.secret_segments = req.secret_segments;
  std::string why = detail::check_raw_path(spec.target);
  for (auto& [k, v] : req.query) detail::append_query(spec.target, k, v);
  if (spec.target.empty() || spec.target.front() != '/' || detail::has_control_chars(spec.target) ||
      spec.target.find_first_of(" #") != std::string::npos || detail::has_control_chars(spec.content_type) ||
      detail::has_control_chars(spec.accept) || !why.empty()) {
    if (diag) {
      diag->clear();
      diag->client_message =
          !why.empty() ? why : "the request path must start with '/' and contain no spaces, '#' or control characters";
    }
    // Never complete inside the initiating function: post, as Asio operations do.
    detail::completion(std::move(handler), impl_->executor())
        .complete(detail::failed(errc::invalid_argument), &impl_->executor());
    return;
  }
  detail::start_call(*this, std::move(spec), diag, detail::completion(std::move(handler), impl_->executor()));
}

}  // namespace aiven
