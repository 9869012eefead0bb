// settle_tracker: what this client created lately, and whether a failed read of it
// deserves another attempt.
#include <aiven/settle.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <map>
#include <mutex>

namespace aiven {

namespace {

// Members whose value names the resource a POST created.
constexpr std::string_view identifying[] = {
    "service_name", "topic_name",  "project",       "project_vpc_id", "service_integration_id", "name",
    "connector_name", "database",  "username",      "integration_id", "peering_connection_id",  "id",
};

std::string_view path_of(std::string_view target) {
  auto q = target.find('?');
  if (q != std::string_view::npos) target = target.substr(0, q);
  while (target.size() > 1 && target.back() == '/') target.remove_suffix(1);
  return target;
}

bool under(std::string_view path, std::string_view resource) {
  if (!path.starts_with(resource)) return false;
  return path.size() == resource.size() || path[resource.size()] == '/';
}

void collect(std::string_view body, std::vector<std::string>& names) {
  if (body.empty()) return;
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return;
  auto scan = [&](const boost::json::object& o) {
    for (auto key : identifying)
      if (auto* m = o.if_contains(key); m && m->is_string() && !m->get_string().empty())
        names.emplace_back(m->get_string());
  };
  scan(v.get_object());
  // Responses wrap the created object: {"service": {...}}, {"topic": {...}}.
  for (const auto& kv : v.get_object())
    if (kv.value().is_object()) scan(kv.value().get_object());
}

}  // namespace

struct settle_tracker::impl {
  settle_options opts;
  std::function<clock::time_point()> now;
  mutable std::mutex mu;
  std::map<std::string, clock::time_point, std::less<>> created;  // resource path -> when

  void prune(clock::time_point t) {
    for (auto it = created.begin(); it != created.end();)
      it = t - it->second > opts.window ? created.erase(it) : std::next(it);
  }
};

settle_tracker::settle_tracker(settle_options opts, std::function<clock::time_point()> now)
    : impl_(std::make_unique<impl>()) {
  impl_->opts = opts;
  impl_->now = std::move(now);
}

settle_tracker::~settle_tracker() = default;

void settle_tracker::record_success(http_method m, std::string_view target, std::string_view request_body,
                                    std::string_view response_body) {
  const std::string_view path = path_of(target);
  if (m == http_method::delete_) {
    // Deleted: a 404 is now the truth, not a delay.
    std::lock_guard lock(impl_->mu);
    for (auto it = impl_->created.begin(); it != impl_->created.end();)
      it = under(it->first, path) ? impl_->created.erase(it) : std::next(it);
    return;
  }
  if (m != http_method::post && m != http_method::put) return;
  std::vector<std::string> paths;
  if (m == http_method::put) {
    paths.emplace_back(path);
  } else {
    std::vector<std::string> names;
    collect(request_body, names);
    // The response is read only when the request did not name what it creates
    // (a VPC's id, say): parsing both bodies of every POST would double the work.
    if (names.empty()) collect(response_body, names);
    for (const auto& n : names) {
      // A name that is already the last segment (POST .../topic/x) names the target itself.
      if (path.ends_with("/" + n)) paths.emplace_back(path);
      else paths.push_back(std::string(path) + "/" + n);
    }
  }
  if (paths.empty()) return;
  const auto t = impl_->now();
  std::lock_guard lock(impl_->mu);
  impl_->prune(t);
  for (auto& p : paths) impl_->created[std::move(p)] = t;
}

bool settle_tracker::created_recently(std::string_view target) const {
  const std::string_view path = path_of(target);
  const auto t = impl_->now();
  std::lock_guard lock(impl_->mu);
  for (const auto& [resource, when] : impl_->created)
    if (t - when <= impl_->opts.window && under(path, resource)) return true;
  return false;
}

std::optional<std::chrono::milliseconds> settle_tracker::retry_after(http_method m, std::string_view target,
                                                                     unsigned status, unsigned retries,
                                                                     clock::time_point deadline) const {
  if (m != http_method::get && m != http_method::head) return std::nullopt;
  if (status != 404 && status != 403 && status != 501) return std::nullopt;
  if (retries >= impl_->opts.max_retries) return std::nullopt;
  if (!created_recently(target)) return std::nullopt;
  double d = static_cast<double>(impl_->opts.initial_backoff.count());
  for (unsigned i = 0; i < retries && d < static_cast<double>(impl_->opts.max_backoff.count()); ++i)
    d *= impl_->opts.multiplier;
  const auto pause = std::min(impl_->opts.max_backoff, std::chrono::milliseconds(static_cast<long long>(d)));
  if (impl_->now() + pause >= deadline) return std::nullopt;  // never past the call's deadline
  return pause;
}

}  // namespace aiven
