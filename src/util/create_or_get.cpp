// Create-or-get: the create, and on a 409 that says "already exists", the read.
#include <aiven/create_or_get.hpp>

#include "spawn_op.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <string_view>

namespace aiven {

namespace asio = boost::asio;

bool is_existing_resource_conflict(const diagnostics& diag) noexcept {
  if (diag.http_status != 409) return false;
  bool any_code = false;
  for (const auto& e : diag.errors) {
    if (e.error_code.empty()) continue;
    any_code = true;
    if (std::string_view(e.error_code).ends_with("_already_exists")) return true;
  }
  // A coded 409 is another conflict (kafka_topic_queued_for_deletion, ...). Aiven's list has
  // no code for an existing service or service user: their codeless 409 is told by its text.
  if (any_code) return false;
  const std::string_view m = diag.message;
  return m.find("already exists") != std::string_view::npos || m.find("already in use") != std::string_view::npos;
}

namespace {

// The create, then on "already exists" the read; `what` names the resource for messages.
template <class Result, class CreateOp, class GetOp>
asio::awaitable<error_code> create_then_get(const client& c, diagnostics& diag, Result& out, CreateOp create,
                                            GetOp get, std::string what, const char* get_name) {
  auto [ec, created] = co_await create(c, diag);
  if (!ec) {
    out.created = true;
    out.created_out = std::move(created);
    co_return ec;
  }
  if (ec != errc::conflict || !is_existing_resource_conflict(diag)) co_return ec;
  diagnostics conflict = diag;
  auto [gec, existing] = co_await get(c, diag);
  const std::string said = conflict.operation + " answered 409 (" + conflict.message + ")";
  if (gec) {
    diag.client_message = said + "; reading the existing " + what + " with " + get_name + " failed" +
                          (diag.client_message.empty() ? "" : ": " + diag.client_message);
    co_return gec;
  }
  diag.client_message = said + "; read the existing " + what + " with " + get_name;
  out.existing = std::move(existing);
  out.conflict = std::move(conflict);
  co_return error_code{};
}

}  // namespace

namespace detail {

void create_or_get_service_erased(const client& c, api::service_create_request req, diagnostics* diag,
                                  create_or_get_handler<service_create_or_get_out> handler) {
  auto body = [req = std::move(req)](const client& c, diagnostics& d,
                                     service_create_or_get_out& out) -> asio::awaitable<error_code> {
    api::service_get_request get{.project = req.project, .service_name = req.body.service_name};
    co_return co_await create_then_get(
        c, d, out,
        [&](const client& c, diagnostics& d) {
          return api::async_service_create(c, req, d, asio::as_tuple(asio::use_awaitable));
        },
        [&](const client& c, diagnostics& d) {
          return api::async_service_get(c, get, d, asio::as_tuple(asio::use_awaitable));
        },
        "service " + req.project + "/" + req.body.service_name, "ServiceGet");
  };
  spawn_helper<service_create_or_get_out>(c, diag, std::move(handler), std::move(body), "create_or_get_service");
}

void create_or_get_kafka_topic_erased(const client& c, api::service_kafka_topic_create_request req, diagnostics* diag,
                                      create_or_get_handler<kafka_topic_create_or_get_out> handler) {
  auto body = [req = std::move(req)](const client& c, diagnostics& d,
                                     kafka_topic_create_or_get_out& out) -> asio::awaitable<error_code> {
    api::service_kafka_topic_get_request get{
        .project = req.project, .service_name = req.service_name, .topic_name = req.body.topic_name};
    co_return co_await create_then_get(
        c, d, out,
        [&](const client& c, diagnostics& d) {
          return api::async_service_kafka_topic_create(c, req, d, asio::as_tuple(asio::use_awaitable));
        },
        [&](const client& c, diagnostics& d) {
          return api::async_service_kafka_topic_get(c, get, d, asio::as_tuple(asio::use_awaitable));
        },
        "Kafka topic " + req.project + "/" + req.service_name + "/" + req.body.topic_name, "ServiceKafkaTopicGet");
  };
  spawn_helper<kafka_topic_create_or_get_out>(c, diag, std::move(handler), std::move(body),
                                              "create_or_get_kafka_topic");
}

void create_or_get_service_user_erased(const client& c, api::service_user_create_request req, diagnostics* diag,
                                       create_or_get_handler<service_user_create_or_get_out> handler) {
  auto body = [req = std::move(req)](const client& c, diagnostics& d,
                                     service_user_create_or_get_out& out) -> asio::awaitable<error_code> {
    api::service_user_get_request get{
        .project = req.project, .service_name = req.service_name, .service_username = req.body.username};
    co_return co_await create_then_get(
        c, d, out,
        [&](const client& c, diagnostics& d) {
          return api::async_service_user_create(c, req, d, asio::as_tuple(asio::use_awaitable));
        },
        [&](const client& c, diagnostics& d) {
          return api::async_service_user_get(c, get, d, asio::as_tuple(asio::use_awaitable));
        },
        "service user " + req.project + "/" + req.service_name + "/" + req.body.username, "ServiceUserGet");
  };
  spawn_helper<service_user_create_or_get_out>(c, diag, std::move(handler), std::move(body),
                                               "create_or_get_service_user");
}

}  // namespace detail
}  // namespace aiven
