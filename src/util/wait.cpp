// The waiters: one generic poller (deadline, pauses, progress, settle window,
// cancellation) and, per resource, a step that polls once and classifies.
#include <aiven/wait.hpp>

#include <aiven/api/project.hpp>
#include <aiven/api/service.hpp>
#include <aiven/api/service_integrations.hpp>
#include <aiven/api/service_kafka.hpp>
#include <aiven/detail/owned_cancellation.hpp>

#include <optional>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <memory>

namespace aiven {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {

class wait_category_impl : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "aiven.wait"; }
  std::string message(int ev) const override {
    switch (static_cast<wait_errc>(ev)) {
      case wait_errc::failed_state:
        return "the resource reached a failure state";
    }
    return "unknown wait error";
  }
};

// What one poll found.
struct poll_view {
  enum class verdict { pending, done, failed };
  verdict v = verdict::pending;
  std::string state;
  std::string failure;  // for failed: why
  std::vector<node_progress> progress;
};

// One poll: calls the operation with `bounded` (its timeout is what is left of the
// deadline) and `diag`, fills `view`; returns the poll's error, if it failed.
using poll_step = std::function<asio::awaitable<error_code>(const client& bounded, diagnostics& diag, poll_view& view)>;

struct wait_target {
  std::string what;  // "service demo/pg1"
  std::string awaited;  // "RUNNING", "deleted", ...
  std::string project, service;
  bool settles = true;  // 404/403/501 within opts.settle count as "not visible yet"
};

std::string seconds(milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

milliseconds since(steady::time_point t) { return std::chrono::duration_cast<milliseconds>(steady::now() - t); }

bool not_visible_yet(const error_code& ec) {
  return ec == errc::not_found || ec == errc::forbidden || ec == errc::not_implemented;
}

// The generic poller. Completes with the error the wait ends with; `diag` holds
// the last poll's diagnostics (client_message says why a wait failed).
asio::awaitable<error_code> poll_until(client c, const wait_target& t, const wait_options& opts, diagnostics& diag,
                                       const poll_step& step) {
  diag.clear();
  if (opts.timeout.count() < 0 || opts.initial_interval.count() <= 0 || opts.multiplier < 1.0 ||
      opts.max_interval < opts.initial_interval || opts.settle.count() < 0) {
    diag.client_message = "invalid wait_options (timeout >= 0, 0 < initial_interval <= max_interval, multiplier >= 1)";
    co_return errc::invalid_argument;
  }
  const auto start = steady::now();
  const auto deadline = start + opts.timeout;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  milliseconds interval = opts.initial_interval;
  std::string last_state;
  // The last answered poll: when the deadline cuts a poll short, the message quotes
  // this poll's state, so its status and request id are the diagnostics to give.
  std::optional<diagnostics> last_answered;
  unsigned polls = 0;
  auto timed_out = [&](diagnostics& d) {
    d.client_message = t.what + " not " + t.awaited + " after " + seconds(since(start)) + " s (" +
                       std::to_string(polls) + " polls); last state seen: " + (last_state.empty() ? "none" : last_state);
    return error_code(errc::timeout);
  };
  for (;;) {
    // No single poll may outlive the deadline. Rounded up, so that a poll the
    // deadline cuts short ends at or after it and is told from a poll's own timeout.
    auto left = std::chrono::ceil<milliseconds>(deadline - steady::now());
    call_options co = c.call_overrides();
    co.timeout = std::max(left, milliseconds(1));
    // A resource this client just created: its 404s are retried; never when a 404 is the goal.
    co.settle = t.settles && co.settle.value_or(true);
    const client bounded = c.with(co);
    poll_view view;
    diagnostics pd;
    error_code ec = co_await step(bounded, pd, view);
    ++polls;
    if (ec == asio::error::operation_aborted) {
      diag = std::move(pd);
      diag.client_message = "wait cancelled after " + std::to_string(polls) + " polls";
      co_return ec;
    }
    if (ec == errc::timeout && steady::now() >= deadline) {
      diag = last_answered ? std::move(*last_answered) : std::move(pd);
      co_return timed_out(diag);
    }
    if (ec && t.settles && not_visible_yet(ec) && since(start) < opts.settle) {
      ec = {};  // created just now: not visible yet
      view.state.clear();
    }
    if (ec) {
      diag = std::move(pd);
      co_return ec;
    }
    last_state = view.state;
    last_answered = pd;
    const bool finished = view.v != poll_view::verdict::pending;
    left = std::chrono::duration_cast<milliseconds>(deadline - steady::now());
    const milliseconds pause = finished ? milliseconds(0) : std::min(interval, std::max(left, milliseconds(0)));
    if (opts.on_progress) {
      const wait_progress p{t.project, t.service, last_state, polls, since(start), pause, t.what, view.progress};
      try {
        opts.on_progress(p);
      } catch (const std::exception& e) {
        diag = std::move(pd);
        diag.client_message = std::string("wait: on_progress threw: ") + e.what();
        co_return errc::invalid_argument;
      }
    }
    if (view.v == poll_view::verdict::done) {
      diag = std::move(pd);
      co_return error_code{};
    }
    if (view.v == poll_view::verdict::failed) {
      diag = std::move(pd);
      diag.client_message = t.what + " is " + view.state + (view.failure.empty() ? "" : ": " + view.failure) +
                            " (awaited " + t.awaited + ")";
      co_return wait_errc::failed_state;
    }
    if (left.count() <= 0) {
      diag = std::move(pd);
      co_return timed_out(diag);
    }
    timer.expires_after(pause);
    auto [wec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (wec) {
      diag = std::move(pd);
      diag.client_message = "wait cancelled after " + std::to_string(polls) + " polls";
      co_return asio::error::operation_aborted;
    }
    interval = std::min(opts.max_interval,
                        milliseconds(static_cast<milliseconds::rep>(static_cast<double>(interval.count()) * opts.multiplier)));
  }
}

// Runs the poller on a strand of the client's executor and completes `handler` on
// its own executor; the caller's cancellation reaches it as owned_cancellation says.
template <class Handler, class Out>
void spawn_wait(const client& c, wait_target t, wait_options opts, diagnostics* diag, Handler handler, poll_step step,
                std::shared_ptr<Out> out) {
  struct state : detail::owned_cancellation {
    diagnostics own;
    diagnostics* d = nullptr;
  };
  auto st = std::make_shared<state>();
  st->d = diag ? diag : &st->own;
  auto slot = asio::get_associated_cancellation_slot(handler);
  auto ex = asio::get_associated_executor(handler, c.get_executor());
  auto strand = asio::make_strand(c.get_executor());
  detail::owned_cancellation::forward(slot, st, strand);
  asio::co_spawn(
      strand,
      [c, st, t = std::move(t), opts = std::move(opts), step = std::move(step)]() -> asio::awaitable<error_code> {
        error_code ec;
        try {
          ec = co_await poll_until(c, t, opts, *st->d, step);
        } catch (const boost::system::system_error& e) {
          // An awaited operation refused to start after cancellation.
          ec = e.code();
        }
        st->finished = true;
        co_return ec;
      },
      asio::bind_cancellation_slot(
          st->signal.slot(),
          asio::bind_executor(ex, [st, out, slot, h = std::move(handler)](std::exception_ptr ep, error_code ec) mutable {
            if (slot.is_connected()) slot.clear();
            if (ep && !ec) {
              ec = errc::invalid_argument;
              try {
                std::rethrow_exception(ep);
              } catch (const std::exception& e) {
                st->d->client_message = std::string("wait: ") + e.what();
              } catch (...) {
              }
            }
            if constexpr (std::is_void_v<Out>) {
              std::move(h)(ec);
            } else {
              std::move(h)(ec, std::move(*out));
            }
          })));
}

// node_states[].progress_updates, flattened.
std::vector<node_progress> progress_of(const api::service_get_out& s) {
  std::vector<node_progress> out;
  if (!s.node_states) return out;
  for (const auto& n : *s.node_states) {
    if (!n.progress_updates) continue;
    for (const auto& u : *n.progress_updates)
      out.push_back(node_progress{n.name, u.phase.str(), u.completed, u.current, u.min, u.max,
                                  u.unit ? u.unit->str() : std::string()});
  }
  return out;
}

template <class Out, class Op, class Classify>
poll_step make_step(std::shared_ptr<Out> out, Op op, Classify classify) {
  return [out, op = std::move(op), classify = std::move(classify)](const client& c, diagnostics& d,
                                                                    poll_view& view) -> asio::awaitable<error_code> {
    auto [ec, r] = co_await op(c, d);
    if (!ec) {
      classify(r, view);
      *out = std::move(r);
    }
    co_return ec;
  };
}

std::string service_what(const std::string& project, const std::string& service) {
  return "service " + project + "/" + service;
}

void classify_service_running(const api::service_get_out& s, poll_view& v, bool rebalancing) {
  v.state = s.state.str();
  v.progress = progress_of(s);
  if (v.state == "RUNNING" || (rebalancing && v.state == "REBALANCING")) v.v = poll_view::verdict::done;
  else if (v.state == "POWEROFF") {
    v.v = poll_view::verdict::failed;
    v.failure = "powered off";
  }
}

auto service_get_op(std::string project, std::string service) {
  return [project = std::move(project), service = std::move(service)](const client& c, diagnostics& d) {
    const api::service_get_request get{.project = project, .service_name = service};
    return api::async_service_get(c, get, d, asio::as_tuple(asio::use_awaitable));
  };
}

}  // namespace

const boost::system::error_category& wait_category() noexcept {
  static const wait_category_impl cat;
  return cat;
}

namespace detail {

void wait_service_running_erased(const client& c, std::string project, std::string service, wait_options opts,
                                 diagnostics* diag, wait_handler<api::service_get_out> handler) {
  auto out = std::make_shared<api::service_get_out>();
  const bool rebalancing = opts.rebalancing_is_running;
  wait_target t{service_what(project, service), "RUNNING", project, service};
  auto step = make_step(out, service_get_op(project, service), [rebalancing](const auto& s, poll_view& v) {
    classify_service_running(s, v, rebalancing);
  });
  spawn_wait(c, std::move(t), std::move(opts), diag, std::move(handler), std::move(step), out);
}

void wait_service_restored_erased(const client& c, std::string project, std::string service, wait_options opts,
                                  diagnostics* diag, wait_handler<api::service_get_out> handler) {
  auto out = std::make_shared<api::service_get_out>();
  wait_target t{service_what(project, service), "restored", project, service};
  auto step = make_step(out, service_get_op(project, service), [](const auto& s, poll_view& v) {
    classify_service_running(s, v, false);
    if (v.v == poll_view::verdict::done)
      for (const auto& p : v.progress)
        if (!p.completed) v.v = poll_view::verdict::pending;  // running, still streaming data
  });
  spawn_wait(c, std::move(t), std::move(opts), diag, std::move(handler), std::move(step), out);
}

void wait_service_deleted_erased(const client& c, std::string project, std::string service, wait_options opts,
                                 diagnostics* diag, boost::asio::any_completion_handler<void(error_code)> handler) {
  wait_target t{service_what(project, service), "deleted", project, service, false};
  auto op = service_get_op(project, service);
  poll_step step = [op](const client& c, diagnostics& d, poll_view& view) -> asio::awaitable<error_code> {
    auto [ec, s] = co_await op(c, d);
    if (ec == errc::not_found) {
      view.v = poll_view::verdict::done;  // gone: what was awaited
      co_return error_code{};
    }
    if (!ec) view.state = s.state.str();
    co_return ec;
  };
  spawn_wait<decltype(handler), void>(c, std::move(t), std::move(opts), diag, std::move(handler), std::move(step),
                                      nullptr);
}

void wait_project_vpc_active_erased(const client& c, std::string project, std::string project_vpc_id,
                                    wait_options opts, diagnostics* diag, wait_handler<api::vpc_get_out> handler) {
  auto out = std::make_shared<api::vpc_get_out>();
  wait_target t{"project VPC " + project + "/" + project_vpc_id, "ACTIVE", project, ""};
  auto op = [project, project_vpc_id](const client& c, diagnostics& d) {
    const api::vpc_get_request get{.project = project, .project_vpc_id = project_vpc_id};
    return api::async_vpc_get(c, get, d, asio::as_tuple(asio::use_awaitable));
  };
  auto step = make_step(out, op, [](const api::vpc_get_out& vpc, poll_view& v) {
    v.state = vpc.state.str();
    if (v.state == "ACTIVE") v.v = poll_view::verdict::done;
    else if (v.state == "DELETING" || v.state == "DELETED") v.v = poll_view::verdict::failed;
  });
  spawn_wait(c, std::move(t), std::move(opts), diag, std::move(handler), std::move(step), out);
}

void wait_vpc_peering_erased(const client& c, vpc_peering_target target, wait_options opts, diagnostics* diag,
                             wait_handler<api::peering_connection_out> handler) {
  auto out = std::make_shared<api::peering_connection_out>();
  const bool pending_ok = opts.pending_peer_is_done;
  wait_target t{"VPC peering " + target.project + "/" + target.project_vpc_id + " -> " + target.peer_cloud_account +
                    "/" + target.peer_vpc + (target.peer_region ? " (" + *target.peer_region + ")" : std::string()),
                "ACTIVE", target.project, ""};
  poll_step step = [out, target, pending_ok](const client& c, diagnostics& d,
                                             poll_view& v) -> asio::awaitable<error_code> {
    const api::vpc_get_request get{.project = target.project, .project_vpc_id = target.project_vpc_id};
    auto [ec, vpc] = co_await api::async_vpc_get(c, get, d, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return ec;
    const api::peering_connection_out* found = nullptr;
    for (const auto& p : vpc.peering_connections)
      if (p.peer_cloud_account == target.peer_cloud_account && p.peer_vpc == target.peer_vpc &&
          (!target.peer_region || p.peer_region == target.peer_region))
        found = &p;
    if (!found) {
      // Not listed (yet): created just now, or never; the settle window decides.
      d.http_status = 404;
      d.client_message = "no such peering connection in the VPC";
      co_return errc::not_found;
    }
    v.state = found->state.str();
    static const char* const failures[] = {"REJECTED_BY_PEER", "INVALID_SPECIFICATION", "ERROR", "DELETED",
                                           "DELETED_BY_PEER", "DELETING"};
    if (v.state == "ACTIVE" || (pending_ok && v.state == "PENDING_PEER")) {
      v.v = poll_view::verdict::done;
    } else if (v.state == "PENDING_PEER" ||
               std::find(std::begin(failures), std::end(failures), v.state) != std::end(failures)) {
      v.v = poll_view::verdict::failed;
      v.failure = found->state_info.message;
      if (!found->state_info.type.empty()) v.failure += " [" + found->state_info.type + "]";
    }
    *out = *found;
    co_return error_code{};
  };
  spawn_wait(c, std::move(t), std::move(opts), diag, std::move(handler), std::move(step), out);
}

void wait_kafka_topic_active_erased(const client& c, std::string project, std::string service, std::string topic,
                                    wait_options opts, diagnostics* diag,
                                    wait_handler<api::service_kafka_topic_get_out> handler) {
  auto out = std::make_shared<api::service_kafka_topic_get_out>();
  wait_target t{"Kafka topic " + project + "/" + service + "/" + topic, "ACTIVE", project, service};
  auto op = [project, service, topic](const client& c, diagnostics& d) {
    const api::service_kafka_topic_get_request get{.project = project, .service_name = service, .topic_name = topic};
    return api::async_service_kafka_topic_get(c, get, d, asio::as_tuple(asio::use_awaitable));
  };
  auto step = make_step(out, op, [](const api::service_kafka_topic_get_out& topic, poll_view& v) {
    v.state = topic.state.str();
    if (v.state == "ACTIVE") v.v = poll_view::verdict::done;
    else if (v.state == "DELETING") v.v = poll_view::verdict::failed;
  });
  spawn_wait(c, std::move(t), std::move(opts), diag, std::move(handler), std::move(step), out);
}

void wait_connector_running_erased(const client& c, std::string project, std::string service, std::string connector,
                                   wait_options opts, diagnostics* diag,
                                   wait_handler<api::service_kafka_connect_get_connector_status_out> handler) {
  auto out = std::make_shared<api::service_kafka_connect_get_connector_status_out>();
  wait_target t{"Kafka Connect connector " + project + "/" + service + "/" + connector, "RUNNING", project, service};
  auto op = [project, service, connector](const client& c, diagnostics& d) {
    const api::service_kafka_connect_get_connector_status_request get{
        .project = project, .service_name = service, .connector_name = connector};
    return api::async_service_kafka_connect_get_connector_status(c, get, d, asio::as_tuple(asio::use_awaitable));
  };
  auto step = make_step(out, op, [](const api::service_kafka_connect_get_connector_status_out& s, poll_view& v) {
    v.state = s.state.str();
    if (v.state == "FAILED") {
      v.v = poll_view::verdict::failed;
    }
    for (const auto& task : s.tasks)
      if (task.state.str() == "FAILED") {
        v.v = poll_view::verdict::failed;
        if (v.state != "FAILED") v.state = "RUNNING with a FAILED task";
        v.failure = "task " + std::to_string(task.id) + ": " + task.trace.substr(0, task.trace.find('\n'));
        break;
      }
    if (v.v == poll_view::verdict::pending && v.state == "RUNNING") {
      bool all = true;
      for (const auto& task : s.tasks) all = all && task.state.str() == "RUNNING";
      if (all) v.v = poll_view::verdict::done;
    }
  });
  spawn_wait(c, std::move(t), std::move(opts), diag, std::move(handler), std::move(step), out);
}

void wait_integration_active_erased(const client& c, std::string project, std::string integration_id,
                                    wait_options opts, diagnostics* diag,
                                    wait_handler<api::service_integration_get_out> handler) {
  auto out = std::make_shared<api::service_integration_get_out>();
  wait_target t{"service integration " + project + "/" + integration_id, "active", project, ""};
  auto op = [project, integration_id](const client& c, diagnostics& d) {
    const api::service_integration_get_request get{.project = project, .integration_id = integration_id};
    return api::async_service_integration_get(c, get, d, asio::as_tuple(asio::use_awaitable));
  };
  auto step = make_step(out, op, [](const api::service_integration_get_out& i, poll_view& v) {
    v.state = i.active ? "active" : (i.enabled ? "enabled, not active" : "disabled");
    if (i.integration_status && !i.integration_status->status_user_desc.empty())
      v.state += " (" + i.integration_status->status_user_desc + ")";
    if (i.active) v.v = poll_view::verdict::done;
  });
  spawn_wait(c, std::move(t), std::move(opts), diag, std::move(handler), std::move(step), out);
}

void wait_first_backup_erased(const client& c, std::string project, std::string service, wait_options opts,
                              diagnostics* diag, wait_handler<api::service_backups_get_out> handler) {
  auto out = std::make_shared<api::service_backups_get_out>();
  wait_target t{"first backup of " + service_what(project, service), "available", project, service};
  auto op = [project, service](const client& c, diagnostics& d) {
    const api::service_backups_get_request get{.project = project, .service_name = service};
    return api::async_service_backups_get(c, get, d, asio::as_tuple(asio::use_awaitable));
  };
  auto step = make_step(out, op, [](const api::service_backups_get_out& b, poll_view& v) {
    v.state = std::to_string(b.backups.size()) + " backups";
    if (!b.backups.empty()) v.v = poll_view::verdict::done;
  });
  spawn_wait(c, std::move(t), std::move(opts), diag, std::move(handler), std::move(step), out);
}

}  // namespace detail
}  // namespace aiven
