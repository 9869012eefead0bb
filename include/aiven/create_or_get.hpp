// Create-or-get: an opt-in idempotent create. The create is sent as usual; when it
// answers 409 because the resource already exists, the existing resource is read
// instead of failing. A 409 that is another conflict (a topic queued for deletion,
// a project over its quota, ...) still fails with errc::conflict.
//
//   api::service_kafka_topic_create_request req{.project = "demo", .service_name = "kafka1"};
//   req.body.topic_name = "orders";
//   aiven::diagnostics diag;
//   auto r = co_await aiven::async_create_or_get_kafka_topic(c, req, diag);
//   if (!r.created) use(r.existing);   // r.conflict: the 409 the create answered
//
// Like the generated operations: a `(..., diagnostics&, Token)` and a `(..., Token)`
// overload, the throwing default token, any other completion token. After a 409
// that was read through, `diag` holds the read's diagnostics and its client_message
// says that the create answered 409; the 409's own diagnostics are in `conflict`.
//
// Which 409 means "already exists" (is_existing_resource_conflict): one whose Aiven error
// code ends in `_already_exists` (kafka_topic_already_exists, ...). Aiven's error-code
// list has no code for an existing service or service user, so a 409 without any error
// code counts when its message says "already exists" or "already in use".
#pragma once

#include <aiven/api/service.hpp>
#include <aiven/api/service_kafka.hpp>
#include <aiven/client.hpp>
#include <aiven/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>

#include <optional>
#include <string>
#include <utility>

namespace aiven {

/// What a create-or-get found: `created` and the create's answer, or the existing resource.
template <class Created, class Existing>
struct create_or_get_out {
  bool created = false;                 ///< true: this call created it; false: it existed already
  Created created_out{};                ///< the create's answer (when created)
  Existing existing{};                  ///< the read's answer (when !created)
  std::optional<diagnostics> conflict;  ///< the create's 409 (when !created)
};

using service_create_or_get_out = create_or_get_out<api::service_create_out, api::service_get_out>;
using kafka_topic_create_or_get_out = create_or_get_out<api::message_response, api::service_kafka_topic_get_out>;
using service_user_create_or_get_out = create_or_get_out<api::service_user_create_out, api::service_user_get_out>;

/// True when `diag` (of a failed create) is a 409 saying that the resource exists already
/// (see the rule above). Any other status, or a 409 with another error code, is false.
bool is_existing_resource_conflict(const diagnostics& diag) noexcept;

namespace detail {

template <class Out>
using create_or_get_handler = boost::asio::any_completion_handler<void(error_code, Out)>;

void create_or_get_service_erased(const client& c, api::service_create_request req, diagnostics* diag,
                                  create_or_get_handler<service_create_or_get_out> handler);
void create_or_get_kafka_topic_erased(const client& c, api::service_kafka_topic_create_request req, diagnostics* diag,
                                      create_or_get_handler<kafka_topic_create_or_get_out> handler);
void create_or_get_service_user_erased(const client& c, api::service_user_create_request req, diagnostics* diag,
                                       create_or_get_handler<service_user_create_or_get_out> handler);

template <class Out, class Request, class Token>
auto initiate_create_or_get(void (*fn)(const client&, Request, diagnostics*, create_or_get_handler<Out>),
                            const client& c, Request req, diagnostics* diag, Token&& token) {
  return boost::asio::async_initiate<Token, void(error_code, Out)>(
      [fn](auto handler, diagnostics* d, client cl, Request r) { fn(cl, std::move(r), d, std::move(handler)); },
      token, diag, c, std::move(req));
}

}  // namespace detail

/// ServiceCreate; on "already exists", ServiceGet of body.service_name.
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, service_create_or_get_out)) Token = default_token>
auto async_create_or_get_service(const client& c, api::service_create_request req, diagnostics& diag,
                                 Token&& token = {}) {
  return detail::initiate_create_or_get<service_create_or_get_out>(&detail::create_or_get_service_erased, c,
                                                                   std::move(req), &diag, std::forward<Token>(token));
}
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, service_create_or_get_out)) Token = default_token>
auto async_create_or_get_service(const client& c, api::service_create_request req, Token&& token = {}) {
  return detail::initiate_create_or_get<service_create_or_get_out>(&detail::create_or_get_service_erased, c,
                                                                   std::move(req), nullptr, std::forward<Token>(token));
}

/// ServiceKafkaTopicCreate; on kafka_topic_already_exists, ServiceKafkaTopicGet of body.topic_name.
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, kafka_topic_create_or_get_out)) Token = default_token>
auto async_create_or_get_kafka_topic(const client& c, api::service_kafka_topic_create_request req, diagnostics& diag,
                                     Token&& token = {}) {
  return detail::initiate_create_or_get<kafka_topic_create_or_get_out>(
      &detail::create_or_get_kafka_topic_erased, c, std::move(req), &diag, std::forward<Token>(token));
}
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, kafka_topic_create_or_get_out)) Token = default_token>
auto async_create_or_get_kafka_topic(const client& c, api::service_kafka_topic_create_request req,
                                     Token&& token = {}) {
  return detail::initiate_create_or_get<kafka_topic_create_or_get_out>(
      &detail::create_or_get_kafka_topic_erased, c, std::move(req), nullptr, std::forward<Token>(token));
}

/// ServiceUserCreate; on "already exists", ServiceUserGet of body.username.
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, service_user_create_or_get_out)) Token = default_token>
auto async_create_or_get_service_user(const client& c, api::service_user_create_request req, diagnostics& diag,
                                      Token&& token = {}) {
  return detail::initiate_create_or_get<service_user_create_or_get_out>(
      &detail::create_or_get_service_user_erased, c, std::move(req), &diag, std::forward<Token>(token));
}
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, service_user_create_or_get_out)) Token = default_token>
auto async_create_or_get_service_user(const client& c, api::service_user_create_request req, Token&& token = {}) {
  return detail::initiate_create_or_get<service_user_create_or_get_out>(
      &detail::create_or_get_service_user_erased, c, std::move(req), nullptr, std::forward<Token>(token));
}

}  // namespace aiven
