// Waiters: poll a resource until it reaches the awaited state, within the
// caller's deadline, with growing pauses between polls. Each waiter is an
// asynchronous operation like the generated ones: a `(..., diagnostics&, Token)`
// and a `(..., Token)` overload, the throwing default token, and any other
// completion token (as_tuple, use_future, a callback, ...).
//
//   aiven::wait_options opts;                // a named variable: never a braced
//   opts.timeout = 20min;                    // temporary inside co_await (GCC 12)
//   auto s = co_await aiven::async_wait_service_running(c, "my-project", "my-pg", opts);
//
//   aiven::diagnostics diag;
//   auto [ec, s] = co_await aiven::async_wait_service_running(c, "my-project", "my-pg", opts, diag,
//                                                            asio::as_tuple(asio::use_awaitable));
//
// Errors: errc::timeout when the deadline passes (diagnostics::client_message
// names the last state seen); wait_errc::failed_state when the resource
// reaches a state it will not leave by itself (a FAILED connector, a peering
// REJECTED_BY_PEER: the reason is in client_message); the poll's own error
// when a poll fails for good (401, or 404 when the resource is gone and not
// being created). Transient failures are retried by the client as usual.
// Cancellation (a cancellation slot, `||` with a timer) ends the wait with
// boost::asio::error::operation_aborted.
#pragma once

#include <aiven/api/project_models.hpp>  // the result types only: the polls are in src/util/wait.cpp
#include <aiven/api/service_integrations_models.hpp>
#include <aiven/api/service_kafka_models.hpp>
#include <aiven/api/service_models.hpp>
#include <aiven/client.hpp>
#include <aiven/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aiven {

/// How a wait ends when the resource reached a state it will not leave by itself.
enum class wait_errc {
  failed_state = 1,  ///< e.g. a connector FAILED, a peering REJECTED_BY_PEER; the reason is in client_message
};
const boost::system::error_category& wait_category() noexcept;
inline error_code make_error_code(wait_errc e) noexcept { return {static_cast<int>(e), wait_category()}; }

}  // namespace aiven

template <>
struct boost::system::is_error_code_enum<aiven::wait_errc> : std::true_type {};

namespace aiven {

/// One phase of one node, from `node_states[].progress_updates` (service waiters).
struct node_progress {
  std::string node;   ///< the node's name
  std::string phase;  ///< e.g. "prepare", "basebackup", "stream", "finalize"
  bool completed = false;
  std::optional<std::int64_t> current, min, max;
  std::string unit;  ///< e.g. "bytes_uncompressed"; "" when not given
};

/// What a waiter reports after each poll. Views are valid during the callback only.
struct wait_progress {
  std::string_view project;
  std::string_view service;  ///< the service the resource belongs to ("" for project VPCs and integrations)
  std::string_view state;    ///< e.g. "REBUILDING"; "" once the resource is gone or before it is visible
  unsigned polls = 0;
  std::chrono::milliseconds elapsed{0};
  std::chrono::milliseconds next_poll_in{0};  ///< 0 when this was the last poll
  std::string_view what;                      ///< e.g. "service demo/pg1", "Kafka topic demo/kafka1/orders"
  std::span<const node_progress> progress;    ///< node_states[].progress_updates, where the API gives them
};

struct wait_options {
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};  ///< the deadline, from the first poll
  std::chrono::milliseconds initial_interval{std::chrono::seconds(2)};
  std::chrono::milliseconds max_interval{std::chrono::seconds(30)};
  double multiplier = 1.5;  ///< each pause is this much longer than the one before, up to max_interval
  /// Called after every poll, on the client's executor; it must not throw (an exception ends
  /// the wait with errc::invalid_argument and its text in client_message).
  std::function<void(const wait_progress&)> on_progress;
  /// A resource this program created just before the wait may not be visible yet (the API is
  /// eventually consistent): for this long from the first poll, a 404, 403 or 501 counts as
  /// "not visible yet" and polling goes on. 0 (the default): such an answer ends the wait.
  /// Not used by the deletion waiter.
  std::chrono::milliseconds settle{0};
  /// Service waiters: REBALANCING (a running service moving data between nodes) counts as usable.
  bool rebalancing_is_running = false;
  /// Peering waiter: PENDING_PEER (Aiven's side is done; the peer must accept) ends the wait
  /// successfully instead of with wait_errc::failed_state.
  bool pending_peer_is_done = false;
};

/// Which peering connection of a project VPC to wait for.
struct vpc_peering_target {
  std::string project;
  std::string project_vpc_id;
  std::string peer_cloud_account;
  std::string peer_vpc;
  std::optional<std::string> peer_region;  ///< compared when set
};

namespace detail {

template <class Out>
using wait_handler = boost::asio::any_completion_handler<void(error_code, Out)>;

void wait_service_running_erased(const client& c, std::string project, std::string service, wait_options opts,
                                 diagnostics* diag, wait_handler<api::service_get_out> handler);
void wait_service_deleted_erased(const client& c, std::string project, std::string service, wait_options opts,
                                 diagnostics* diag, boost::asio::any_completion_handler<void(error_code)> handler);
void wait_service_restored_erased(const client& c, std::string project, std::string service, wait_options opts,
                                  diagnostics* diag, wait_handler<api::service_get_out> handler);
void wait_project_vpc_active_erased(const client& c, std::string project, std::string project_vpc_id,
                                    wait_options opts, diagnostics* diag, wait_handler<api::vpc_get_out> handler);
void wait_vpc_peering_erased(const client& c, vpc_peering_target target, wait_options opts, diagnostics* diag,
                             wait_handler<api::peering_connection_out> handler);
void wait_kafka_topic_active_erased(const client& c, std::string project, std::string service, std::string topic,
                                    wait_options opts, diagnostics* diag,
                                    wait_handler<api::service_kafka_topic_get_out> handler);
void wait_connector_running_erased(const client& c, std::string project, std::string service, std::string connector,
                                   wait_options opts, diagnostics* diag,
                                   wait_handler<api::service_kafka_connect_get_connector_status_out> handler);
void wait_integration_active_erased(const client& c, std::string project, std::string integration_id,
                                    wait_options opts, diagnostics* diag,
                                    wait_handler<api::service_integration_get_out> handler);
void wait_first_backup_erased(const client& c, std::string project, std::string service, wait_options opts,
                              diagnostics* diag, wait_handler<api::service_backups_get_out> handler);

// One async_initiate for every waiter; the arguments are moved into the operation,
// so a stored deferred waiter never dangles.
template <class Signature, class Fn, class Token, class... Args>
auto initiate_wait(Fn fn, const client& c, diagnostics* diag, Token&& token, Args... args) {
  return boost::asio::async_initiate<Token, Signature>(
      [fn](auto handler, diagnostics* d, client cl, auto... a) { fn(cl, std::move(a)..., d, std::move(handler)); },
      token, diag, c, std::move(args)...);
}

}  // namespace detail

/// Polls ServiceGet until the service is RUNNING (or REBALANCING with
/// opts.rebalancing_is_running); completes with that last answer.
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, api::service_get_out)) Token = default_token>
auto async_wait_service_running(const client& c, std::string project, std::string service, wait_options opts,
                                diagnostics& diag, Token&& token = {}) {
  return detail::initiate_wait<void(error_code, api::service_get_out)>(
      &detail::wait_service_running_erased, c, &diag, std::forward<Token>(token), std::move(project),
      std::move(service), std::move(opts));
}
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, api::service_get_out)) Token = default_token>
auto async_wait_service_running(const client& c, std::string project, std::string service, wait_options opts,
                                Token&& token = {}) {
  return detail::initiate_wait<void(error_code, api::service_get_out)>(
      &detail::wait_service_running_erased, c, nullptr, std::forward<Token>(token), std::move(project),
      std::move(service), std::move(opts));
}

/// Polls ServiceGet until it answers 404 (e.g. after ServiceDelete).
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code)) Token = default_token>
auto async_wait_service_deleted(const client& c, std::string project, std::string service, wait_options opts,
                                diagnostics& diag, Token&& token = {}) {
  return detail::initiate_wait<void(error_code)>(&detail::wait_service_deleted_erased, c, &diag,
                                                 std::forward<Token>(token), std::move(project), std::move(service),
                                                 std::move(opts));
}
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code)) Token = default_token>
auto async_wait_service_deleted(const client& c, std::string project, std::string service, wait_options opts,
                                Token&& token = {}) {
  return detail::initiate_wait<void(error_code)>(&detail::wait_service_deleted_erased, c, nullptr,
                                                 std::forward<Token>(token), std::move(project), std::move(service),
                                                 std::move(opts));
}

/// A fork or a restore from backup is done: the service is RUNNING and every
/// node's progress_updates phase is completed. progress carries those phases.
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, api::service_get_out)) Token = default_token>
auto async_wait_service_restored(const client& c, std::string project, std::string service, wait_options opts,
                                 diagnostics& diag, Token&& token = {}) {
  return detail::initiate_wait<void(error_code, api::service_get_out)>(
      &detail::wait_service_restored_erased, c, &diag, std::forward<Token>(token), std::move(project),
      std::move(service), std::move(opts));
}
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, api::service_get_out)) Token = default_token>
auto async_wait_service_restored(const client& c, std::string project, std::string service, wait_options opts,
                                 Token&& token = {}) {
  return detail::initiate_wait<void(error_code, api::service_get_out)>(
      &detail::wait_service_restored_erased, c, nullptr, std::forward<Token>(token), std::move(project),
      std::move(service), std::move(opts));
}

/// Polls VpcGet until the project VPC is ACTIVE (APPROVED -> ACTIVE takes minutes).
/// DELETING or DELETED end the wait with wait_errc::failed_state.
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, api::vpc_get_out)) Token = default_token>
auto async_wait_project_vpc_active(const client& c, std::string project, std::string project_vpc_id,
                                   wait_options opts, diagnostics& diag, Token&& token = {}) {
  return detail::initiate_wait<void(error_code, api::vpc_get_out)>(
      &detail::wait_project_vpc_active_erased, c, &diag, std::forward<Token>(token), std::move(project),
      std::move(project_vpc_id), std::move(opts));
}
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, api::vpc_get_out)) Token = default_token>
auto async_wait_project_vpc_active(const client& c, std::string project, std::string project_vpc_id,
                                   wait_options opts, Token&& token = {}) {
  return detail::initiate_wait<void(error_code, api::vpc_get_out)>(
      &detail::wait_project_vpc_active_erased, c, nullptr, std::forward<Token>(token), std::move(project),
      std::move(project_vpc_id), std::move(opts));
}

/// Polls VpcGet until the peering connection matching `target` is ACTIVE.
/// PENDING_PEER (unless opts.pending_peer_is_done), REJECTED_BY_PEER,
/// INVALID_SPECIFICATION, ERROR, DELETED and DELETED_BY_PEER end the wait with
/// wait_errc::failed_state; the connection's state_info is in client_message.
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, api::peering_connection_out)) Token = default_token>
auto async_wait_vpc_peering(const client& c, vpc_peering_target target, wait_options opts, diagnostics& diag,
                            Token&& token = {}) {
  return detail::initiate_wait<void(error_code, api::peering_connection_out)>(
      &detail::wait_vpc_peering_erased, c, &diag, std::forward<Token>(token), std::move(target), std::move(opts));
}
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, api::peering_connection_out)) Token = default_token>
auto async_wait_vpc_peering(const client& c, vpc_peering_target target, wait_options opts, Token&& token = {}) {
  return detail::initiate_wait<void(error_code, api::peering_connection_out)>(
      &detail::wait_vpc_peering_erased, c, nullptr, std::forward<Token>(token), std::move(target), std::move(opts));
}

/// Polls ServiceKafkaTopicGet until the topic is ACTIVE (DELETING: failed_state).
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, api::service_kafka_topic_get_out)) Token = default_token>
auto async_wait_kafka_topic_active(const client& c, std::string project, std::string service, std::string topic,
                                   wait_options opts, diagnostics& diag, Token&& token = {}) {
  return detail::initiate_wait<void(error_code, api::service_kafka_topic_get_out)>(
      &detail::wait_kafka_topic_active_erased, c, &diag, std::forward<Token>(token), std::move(project),
      std::move(service), std::move(topic), std::move(opts));
}
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, api::service_kafka_topic_get_out)) Token = default_token>
auto async_wait_kafka_topic_active(const client& c, std::string project, std::string service, std::string topic,
                                   wait_options opts, Token&& token = {}) {
  return detail::initiate_wait<void(error_code, api::service_kafka_topic_get_out)>(
      &detail::wait_kafka_topic_active_erased, c, nullptr, std::forward<Token>(token), std::move(project),
      std::move(service), std::move(topic), std::move(opts));
}

/// Polls ServiceKafkaConnectGetConnectorStatus until the connector and all its
/// tasks are RUNNING. A FAILED connector or task ends the wait with
/// wait_errc::failed_state (the task's trace is in client_message).
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, api::service_kafka_connect_get_connector_status_out))
              Token = default_token>
auto async_wait_connector_running(const client& c, std::string project, std::string service, std::string connector,
                                  wait_options opts, diagnostics& diag, Token&& token = {}) {
  return detail::initiate_wait<void(error_code, api::service_kafka_connect_get_connector_status_out)>(
      &detail::wait_connector_running_erased, c, &diag, std::forward<Token>(token), std::move(project),
      std::move(service), std::move(connector), std::move(opts));
}
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, api::service_kafka_connect_get_connector_status_out))
              Token = default_token>
auto async_wait_connector_running(const client& c, std::string project, std::string service, std::string connector,
                                  wait_options opts, Token&& token = {}) {
  return detail::initiate_wait<void(error_code, api::service_kafka_connect_get_connector_status_out)>(
      &detail::wait_connector_running_erased, c, nullptr, std::forward<Token>(token), std::move(project),
      std::move(service), std::move(connector), std::move(opts));
}

/// Polls ServiceIntegrationGet until the integration is active.
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, api::service_integration_get_out)) Token = default_token>
auto async_wait_integration_active(const client& c, std::string project, std::string integration_id,
                                   wait_options opts, diagnostics& diag, Token&& token = {}) {
  return detail::initiate_wait<void(error_code, api::service_integration_get_out)>(
      &detail::wait_integration_active_erased, c, &diag, std::forward<Token>(token), std::move(project),
      std::move(integration_id), std::move(opts));
}
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, api::service_integration_get_out)) Token = default_token>
auto async_wait_integration_active(const client& c, std::string project, std::string integration_id,
                                   wait_options opts, Token&& token = {}) {
  return detail::initiate_wait<void(error_code, api::service_integration_get_out)>(
      &detail::wait_integration_active_erased, c, nullptr, std::forward<Token>(token), std::move(project),
      std::move(integration_id), std::move(opts));
}

/// Polls ServiceBackupsGet until the service has at least one backup.
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, api::service_backups_get_out)) Token = default_token>
auto async_wait_first_backup(const client& c, std::string project, std::string service, wait_options opts,
                             diagnostics& diag, Token&& token = {}) {
  return detail::initiate_wait<void(error_code, api::service_backups_get_out)>(
      &detail::wait_first_backup_erased, c, &diag, std::forward<Token>(token), std::move(project),
      std::move(service), std::move(opts));
}
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, api::service_backups_get_out)) Token = default_token>
auto async_wait_first_backup(const client& c, std::string project, std::string service, wait_options opts,
                             Token&& token = {}) {
  return detail::initiate_wait<void(error_code, api::service_backups_get_out)>(
      &detail::wait_first_backup_erased, c, nullptr, std::forward<Token>(token), std::move(project),
      std::move(service), std::move(opts));
}

}  // namespace aiven
