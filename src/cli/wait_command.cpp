// `aiven wait <what>`: one command per library waiter.
#include "wait_command.hpp"

#include "engine.hpp"

#include <aiven/wait.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string_view>

#include <unistd.h>

namespace aiven::cli {

namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

struct waiter_desc {
  const char* name;
  std::vector<const char*> required;  // options
  std::vector<const char*> optional;
  const char* help;
};

const std::vector<waiter_desc>& waiters() {
  static const std::vector<waiter_desc> w = {
      {"service-running", {"project", "service-name"}, {"rebalancing-ok"},
       "the service is RUNNING (--rebalancing-ok: REBALANCING counts too)"},
      {"service-deleted", {"project", "service-name"}, {}, "the service is gone (GET answers 404)"},
      {"service-restored", {"project", "service-name"}, {},
       "a fork or a restore is done: RUNNING, every node's progress_updates phase completed"},
      {"vpc-active", {"project", "project-vpc-id"}, {}, "the project VPC is ACTIVE"},
      {"vpc-peering", {"project", "project-vpc-id", "peer-cloud-account", "peer-vpc"}, {"peer-region", "pending-peer-ok"},
       "the peering connection is ACTIVE (PENDING_PEER, REJECTED_BY_PEER, INVALID_SPECIFICATION, ... fail with "
       "their state_info; --pending-peer-ok: PENDING_PEER is success)"},
      {"kafka-topic-active", {"project", "service-name", "topic-name"}, {}, "the Kafka topic is ACTIVE"},
      {"connector-running", {"project", "service-name", "connector-name"}, {},
       "the Kafka Connect connector and its tasks are RUNNING (a FAILED task fails with its trace)"},
      {"integration-active", {"project", "integration-id"}, {}, "the service integration is active"},
      {"first-backup", {"project", "service-name"}, {}, "the service has its first backup"},
  };
  return w;
}

const char* const common_options[] = {"interval", "max-interval", "settle"};

bool is_flag(std::string_view name) { return name == "rebalancing-ok" || name == "pending-peer-ok"; }

bool truthy(const std::string& v) { return v == "true" || v == "1" || v == "yes"; }

std::string seconds_text(milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

milliseconds duration_option(const std::string& name, const std::string& v) {
  auto d = parse_duration(v);
  if (!d || d->count() <= 0)
    throw std::invalid_argument("invalid value for --" + name + ": expected a duration such as 5s, 2m or 1500ms, got '" +
                                v + "'");
  return *d;
}

}  // namespace

std::optional<milliseconds> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double n = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(n) || n < 0) return std::nullopt;
  const std::string_view unit(end);
  double ms;
  if (unit.empty() || unit == "s") ms = n * 1000;
  else if (unit == "ms") ms = n;
  else if (unit == "m" || unit == "min") ms = n * 60'000;
  else if (unit == "h") ms = n * 3'600'000;
  else return std::nullopt;
  if (ms > 1e12) return std::nullopt;
  return milliseconds(static_cast<milliseconds::rep>(std::llround(ms)));
}

std::string wait_help() {
  std::string s =
      "usage: aiven wait <what> [options] [--timeout DURATION]\n\n"
      "Polls until a resource reaches the awaited state; the deadline is --timeout (default 30m;\n"
      "a duration: 20m, 90s, 1500ms, 1h, or plain seconds). Prints the last state seen as JSON on\n"
      "stdout; progress on stderr when stderr is a terminal. Exit status: 0 reached, 1 a failure state\n"
      "or an API error, 4 the deadline passed.\n\nWhat:\n";
  for (const auto& w : waiters()) {
    std::string line = std::string("  ") + w.name;
    for (auto r : w.required) line += std::string(" --") + r + " X";
    for (auto o : w.optional) line += std::string(" [--") + o + (is_flag(o) ? "]" : " X]");
    s += line + "\n      " + w.help + "\n";
  }
  s +=
      "\nOptions of every waiter:\n"
      "  --interval DURATION       first pause between polls (default 2s)\n"
      "  --max-interval DURATION   pauses grow by 1.5x up to this (default 30s)\n"
      "  --settle DURATION         right after a create: 404/403/501 count as not visible yet for this long\n";
  return s;
}

int run_wait(const std::vector<std::string>& positional,
             const std::vector<std::pair<std::string, std::string>>& options, const client_options& opts,
             std::optional<milliseconds> deadline) {
  if (positional.size() < 2) throw std::invalid_argument("which waiter? see: aiven wait --help");
  if (positional.size() > 2) throw std::invalid_argument("unexpected argument '" + positional[2] + "'");
  const waiter_desc* w = nullptr;
  for (const auto& d : waiters())
    if (positional[1] == d.name) w = &d;
  if (!w) throw std::invalid_argument("unknown waiter '" + positional[1] + "'; see: aiven wait --help");

  std::map<std::string, std::string, std::less<>> given;
  for (const auto& [name, value] : options) {
    bool known = false;
    for (auto r : w->required) known = known || name == r;
    for (auto o : w->optional) known = known || name == o;
    for (auto c : common_options) known = known || name == c;
    if (!known) throw std::invalid_argument("unknown option --" + name + " for `aiven wait " + w->name + "`");
    given[name] = value;
  }
  for (auto r : w->required)
    if (!given.count(r)) throw std::invalid_argument("`aiven wait " + std::string(w->name) + "` needs --" + r);

  wait_options wo;
  wo.timeout = deadline.value_or(std::chrono::minutes(30));
  if (auto it = given.find("interval"); it != given.end()) wo.initial_interval = duration_option("interval", it->second);
  if (auto it = given.find("max-interval"); it != given.end())
    wo.max_interval = duration_option("max-interval", it->second);
  wo.max_interval = std::max(wo.max_interval, wo.initial_interval);
  if (auto it = given.find("settle"); it != given.end()) wo.settle = duration_option("settle", it->second);
  if (auto it = given.find("rebalancing-ok"); it != given.end()) wo.rebalancing_is_running = truthy(it->second);
  if (auto it = given.find("pending-peer-ok"); it != given.end()) wo.pending_peer_is_done = truthy(it->second);

  std::string last_state;
  unsigned polls = 0;
  milliseconds elapsed{0};
  const bool tty = ::isatty(2) == 1;
  wo.on_progress = [&](const wait_progress& p) {
    last_state = std::string(p.state);
    polls = p.polls;
    elapsed = p.elapsed;
    if (!tty) return;
    std::string line = "aiven: " + std::string(p.what) + ": " + (p.state.empty() ? "(not visible)" : std::string(p.state)) +
                       " (poll " + std::to_string(p.polls) + ", " + seconds_text(p.elapsed) + " s";
    for (const auto& n : p.progress)
      if (!n.completed && n.max && n.current)
        line += ", " + n.node + " " + n.phase + " " + std::to_string(*n.current * 100 / std::max<std::int64_t>(*n.max, 1)) + "%";
    line += ")\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  };

  // The client's per-call deadline must not cut a poll the waiter would still allow.
  client_options co = opts;
  co.request_timeout = std::max(co.request_timeout, milliseconds(1));
  boost::asio::io_context io;
  client c(io.get_executor(), co);
  diagnostics diag;
  error_code result;
  auto done = [&](error_code ec, auto&&...) { result = ec; };
  const std::string& project = given["project"];
  const std::string name = w->name;
  auto arg = [&](const char* k) { return given.count(k) ? given[k] : std::string(); };
  if (name == "service-running") async_wait_service_running(c, project, arg("service-name"), wo, diag, done);
  else if (name == "service-deleted") async_wait_service_deleted(c, project, arg("service-name"), wo, diag, done);
  else if (name == "service-restored") async_wait_service_restored(c, project, arg("service-name"), wo, diag, done);
  else if (name == "vpc-active") async_wait_project_vpc_active(c, project, arg("project-vpc-id"), wo, diag, done);
  else if (name == "vpc-peering") {
    vpc_peering_target t{project, arg("project-vpc-id"), arg("peer-cloud-account"), arg("peer-vpc"), std::nullopt};
    if (given.count("peer-region")) t.peer_region = arg("peer-region");
    async_wait_vpc_peering(c, t, wo, diag, done);
  } else if (name == "kafka-topic-active")
    async_wait_kafka_topic_active(c, project, arg("service-name"), arg("topic-name"), wo, diag, done);
  else if (name == "connector-running")
    async_wait_connector_running(c, project, arg("service-name"), arg("connector-name"), wo, diag, done);
  else if (name == "integration-active") async_wait_integration_active(c, project, arg("integration-id"), wo, diag, done);
  else async_wait_first_backup(c, project, arg("service-name"), wo, diag, done);
  io.run();

  if (result) {
    json::value err = error_json(result, diag, raw_response{});
    if (result.category() == wait_category()) {
      err.as_object()["errors"].as_array()[0].as_object()["error_code"] = "failed_state";
    }
    err.as_object()["state"] = last_state;
    std::string text = json::serialize(err) + "\n";
    std::fwrite(text.data(), 1, text.size(), stderr);
    if (result.category() == wait_category()) return exit_api;
    return exit_code_of(result);
  }
  json::object o;
  o["state"] = last_state;
  o["polls"] = polls;
  o["elapsed_s"] = static_cast<double>(elapsed.count()) / 1000.0;
  std::string text = json::serialize(o) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  return exit_ok;
}

}  // namespace aiven::cli
