#include <aiven/observe.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace aiven {
namespace {

constexpr std::string_view redacted = "[REDACTED]";

std::string normalise(std::string_view name) {
  std::string n;
  n.reserve(name.size());
  for (char c : name) {
    if (c == '-' || c == ' ') c = '_';
    n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return n;
}

// scheme://user:password@host -> scheme://user:[REDACTED]@host, for every URL in `s`.
bool redact_url_passwords(std::string& s) {
  bool changed = false;
  std::size_t pos = 0;
  while ((pos = s.find("://", pos)) != std::string::npos) {
    std::size_t start = pos + 3;
    std::size_t end = start;
    while (end < s.size() && s[end] != '/' && s[end] != '@' && s[end] != ' ' && s[end] != '"') ++end;
    if (end < s.size() && s[end] == '@') {
      auto colon = s.find(':', start);
      if (colon != std::string::npos && colon < end) {
        s.replace(colon + 1, end - colon - 1, redacted);
        changed = true;
        end = colon + 1 + redacted.size();
      }
    }
    pos = end;
  }
  return changed;
}

void redact_value(boost::json::value& v) {
  if (auto* o = v.if_object()) {
    for (auto& kv : *o) {
      // A flag (include_secrets=true) is not a secret: only values that could be one are hidden.
      if (is_secret_name(kv.key()) && !kv.value().is_null() && !kv.value().is_bool())
        kv.value() = redacted;
      else
        redact_value(kv.value());
    }
  } else if (auto* a = v.if_array()) {
    for (auto& e : *a) redact_value(e);
  } else if (auto* s = v.if_string()) {
    if (s->find("://") != boost::json::string::npos) {
      std::string copy(*s);
      if (redact_url_passwords(copy)) *s = copy;
    }
  }
}

}  // namespace

bool is_secret_name(std::string_view name) noexcept {
  try {
    auto n = normalise(name);
    for (std::string_view w : {"password", "passwd", "secret", "token", "credential", "private_key", "access_key",
                               "api_key", "authorization", "cert_key", "certificate_key"})
      if (n.find(w) != std::string::npos) return true;
    return n == "key" || (n.size() > 4 && n.compare(n.size() - 4, 4, "_key") == 0);
  } catch (...) {
    return true;  // out of memory: err on the side of hiding
  }
}

std::string redact_json(std::string_view body) {
  if (body.empty()) return {};
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec) return "[" + std::to_string(body.size()) + " bytes, not JSON, withheld]";
  redact_value(v);
  return boost::json::serialize(v);
}

std::string redact_target(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, q + 1));
  auto query = target.substr(q + 1);
  bool first = true;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (!first) out += '&';
    first = false;
    auto eq = part.find('=');
    auto name = part.substr(0, eq);
    auto value = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
    if (eq != std::string_view::npos && is_secret_name(name) && value != "true" && value != "false") {
      out.append(name);
      out += '=';
      out.append(redacted);
    } else {
      out.append(part);
    }
  }
  return out;
}

std::string redact_target(std::string_view target, std::uint32_t secret_segments) {
  if (secret_segments == 0) return redact_target(target);
  auto q = std::min(target.find('?'), target.size());
  std::string out;
  out.reserve(target.size() + 16);
  std::string_view path = target.substr(0, q);
  // Segment 0 is the one after the leading '/'.
  int index = path.starts_with('/') ? -1 : 0;
  for (;;) {
    auto slash = path.find('/');
    auto seg = path.substr(0, slash);
    if (index >= 0 && index < 32 && (secret_segments >> index & 1u) != 0)
      out.append(redacted);
    else
      out.append(seg);
    if (slash == std::string_view::npos) break;
    out += '/';
    path.remove_prefix(slash + 1);
    ++index;
  }
  if (q < target.size()) out += redact_target(target.substr(q));
  return out;
}

std::string format_attempt(const attempt_record& r) {
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.1f ms", static_cast<double>(r.duration.count()) / 1000.0);
  std::string line;
  line.reserve(128 + r.target.size());
  line += to_string(r.method);
  line += ' ';
  line.append(r.target);
  line += ' ';
  line += r.status ? std::to_string(r.status) : std::string("---");
  line += ' ';
  line += ms;
  line += " (";
  if (!r.operation_id.empty()) {
    line.append(r.operation_id);
    line += ", ";
  }
  line += "attempt " + std::to_string(r.attempt) + ", sent " + std::to_string(r.request_bytes) + " B, received " +
          std::to_string(r.response_bytes) + " B)";
  if (r.error) line += " error: " + r.error.message();
  if (r.will_retry) line += "; retrying";
  if (!r.request_body.empty()) {
    line += "\n  request: ";
    line.append(r.request_body);
  }
  if (!r.response_body.empty()) {
    line += "\n  response: ";
    line.append(r.response_body);
  }
  return line;
}

}  // namespace aiven
