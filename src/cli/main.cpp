// aiven <area> <operation> [options]: the command line front end (see `aiven --help`).
#include "engine.hpp"
#include "progress.hpp"
#include "table.hpp"
#include "logs_command.hpp"
#include "wait_command.hpp"

#include <aiven/client.hpp>
#include <aiven/create_or_get.hpp>
#include <aiven/observe.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <unistd.h>

namespace aiven::cli {
namespace {

namespace json = boost::json;

struct usage_error {
  std::string message;
  std::string hint;  // e.g. "aiven service --help"
};

struct global_options {
  std::optional<std::string> token, url, ca_file, body, file, output, fields, if_exists;
  std::optional<double> timeout_s, rate;
  std::optional<unsigned> retries;
  unsigned parallel = 8;
  unsigned verbose = 0;  // -v: one line per attempt; -vv: with the (redacted) bodies
  bool compact = false, simulator = false, help = false, version = false, insecure_http = false, dry_run = false;
  bool follow = false;
};

struct global_option {
  const char* name;
  const char* value;  // nullptr: a flag
  const char* help;
};

constexpr global_option global_table[] = {
    {"token", "TOKEN", "API token (default: $AIVEN_TOKEN, then the avn credentials file)"},
    {"url", "URL", "API base URL (default: $AIVEN_WEB_URL, then https://api.aiven.io)"},
    {"ca-file", "PATH", "PEM file of trusted CAs (default: the system trust store)"},
    {"timeout", "SECONDS", "deadline of the whole call, retries included (default 60; also 20m, 90s, 1h); of aiven wait:"
                           " the wait's deadline (default 30m)"},
    {"retries", "N", "retries after the first attempt (default 4)"},
    {"rate-limit", "RPS", "client-side limit, requests per second (default: off)"},
    {"body", "JSON|@FILE|-", "request body: JSON text, a file, or stdin (stdin is also read when a"
                             " required body is not given and stdin is not a terminal)"},
    {"file", "PATH", "file to upload (multipart operations)"},
    {"output", "PATH", "where a binary download is written (default: stdout)"},
    {"compact", nullptr, "one-line JSON output (the default when stdout is not a terminal)"},
    {"fields", "A,B.C", "print only these members of the result (dotted paths); one field: its bare value"},
    {"dry-run", nullptr, "print the request that would be sent (secrets redacted) and send nothing"},
    {"parallel", "K", "batch: requests in flight at once (default 8)"},
    {"if-exists", "get|fail", "service create, service-kafka topic-create, service user-create: on a 409 that says the"
                              " resource already exists, get: print the existing one (exit 0); fail: the default"},
    {"follow", nullptr, "aiven service logs: keep polling for new entries (aiven service logs --help)"},
    {"simulator", nullptr, "run against an in-process API simulator (demos, dry runs)"},
    {"insecure-http", nullptr, "allow an http:// base URL (local mock servers only)"},
    {"verbose", nullptr, "-v: one line per request attempt on stderr; -vv: with the bodies (secrets redacted)"},
    {"help", nullptr, "-h: help (also: aiven AREA --help, aiven AREA OPERATION --help)"},
    {"version", nullptr, "print the version and exit"},
};

const global_option* find_global(std::string_view name) {
  for (const auto& g : global_table)
    if (name == g.name) return &g;
  return nullptr;
}

bool stdout_is_tty() { return ::isatty(1) == 1; }

double parse_number(std::string_view opt, const std::string& v, double lo) {
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(d) || d < lo)
    throw usage_error{"invalid value for --" + std::string(opt) + ": expected a number >= " +
                      std::to_string(static_cast<long long>(lo)) + ", got '" + v + "'", ""};
  return d;
}

unsigned parse_unsigned(std::string_view opt, const std::string& v, unsigned lo) {
  char* end = nullptr;
  unsigned long n = std::strtoul(v.c_str(), &end, 10);
  if (v.empty() || v[0] == '-' || end != v.c_str() + v.size() || n < lo || n > 100000)
    throw usage_error{"invalid value for --" + std::string(opt) + ": expected an integer >= " + std::to_string(lo) +
                      ", got '" + v + "'", ""};
  return static_cast<unsigned>(n);
}

struct command_line {
  global_options g;
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> op_options;  // in order
};

command_line parse(int argc, char** argv) {
  command_line cl;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-v" || a == "-vv") {
      cl.g.verbose += static_cast<unsigned>(a.size() - 1);
      continue;
    }
    if (a == "-h") {
      cl.g.help = true;
      continue;
    }
    if (a.size() > 2 && a.substr(0, 2) == "--") {
      std::string name(a.substr(2));
      std::optional<std::string> value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
      }
      const global_option* g = find_global(name);
      if (g && !g->value) {
        if (value) throw usage_error{"option --" + name + " takes no value", ""};
        if (name == "compact") cl.g.compact = true;
        if (name == "simulator") cl.g.simulator = true;
        if (name == "insecure-http") cl.g.insecure_http = true;
        if (name == "dry-run") cl.g.dry_run = true;
        if (name == "follow") cl.g.follow = true;
        if (name == "verbose") ++cl.g.verbose;
        if (name == "help") cl.g.help = true;
        if (name == "version") cl.g.version = true;
        continue;
      }
      if (!value) {
        if (i + 1 >= argc) throw usage_error{"option --" + name + " needs a value", ""};
        value = argv[++i];
      }
      if (!g) {
        cl.op_options.emplace_back(std::move(name), std::move(*value));
        continue;
      }
      const std::string& v = *value;
      if (name == "token") cl.g.token = v;
      else if (name == "url") cl.g.url = v;
      else if (name == "ca-file") cl.g.ca_file = v;
      else if (name == "body") cl.g.body = v;
      else if (name == "file") cl.g.file = v;
      else if (name == "output") cl.g.output = v;
      else if (name == "fields") cl.g.fields = v;
      else if (name == "if-exists") {
        if (v != "get" && v != "fail") throw usage_error{"invalid value for --if-exists: expected get or fail, got '" + v + "'", ""};
        cl.g.if_exists = v;
      }
      else if (name == "timeout") {
        // Seconds, or a duration with its unit (20m, 90s, 1500ms, 1h).
        auto d = parse_duration(v);
        if (!d) throw usage_error{"invalid value for --timeout: expected seconds or a duration such as 20m, got '" + v + "'", ""};
        cl.g.timeout_s = static_cast<double>(d->count()) / 1000.0;
      }
      else if (name == "rate-limit") cl.g.rate = parse_number(name, v, 0);
      else if (name == "retries") cl.g.retries = parse_unsigned(name, v, 0);
      else if (name == "parallel") cl.g.parallel = parse_unsigned(name, v, 1);
      continue;
    }
    if (a.size() > 1 && a[0] == '-') throw usage_error{"unknown option " + std::string(a), ""};
    cl.positional.emplace_back(a);
  }
  return cl;
}

// ---- help -----------------------------------------------------------------------------------

void pad_to(std::string& s, std::size_t col) {
  if (s.size() < col) s.append(col - s.size(), ' ');
  else s += "  ";
}

std::string general_help() {
  std::string s =
      "usage: aiven <area> <operation> [options]\n"
      "       aiven batch [--parallel K] < requests.jsonl\n"
      "       aiven wait <what> [options] --timeout 20m   (aiven wait --help)\n"
      "       aiven service logs --project P --service-name S [--follow]   (aiven service logs --help)\n"
      "       aiven <area> --help | aiven <area> <operation> --help | aiven --version\n\n"
      "Calls the Aiven API: every operation of its OpenAPI document (" +
      std::to_string(operations().size()) + " operations, document sha256 " + document_sha() +
      "), e.g.\n"
      "  aiven project list\n"
      "  aiven service get --project demo --service-name pg-main\n"
      "  aiven service create --project demo --body @service.json\n\n"
      "Areas (the document's tags):\n";
  for (const auto& a : areas()) {
    std::string line = std::string("  ") + a.name;
    pad_to(line, 30);
    line += std::to_string(a.count) + " operations\n";
    s += line;
  }
  s +=
      "\nNames: the area is the tag's name in kebab case (Service:_Kafka -> service-kafka); the operation\n"
      "is the operationId in kebab case without the leading words that spell the area\n"
      "(ServiceKafkaTopicList -> service-kafka topic-list, ServiceList -> service list); when two\n"
      "operations of an area would get the same name, both keep their whole operationId. Path and\n"
      "query parameters are options named after them in kebab case (service_name -> --service-name);\n"
      "array parameters repeat the option.\n\n"
      "Options:\n";
  for (const auto& g : global_table) {
    std::string line = std::string("  --") + g.name + (g.value ? std::string(" ") + g.value : "");
    pad_to(line, 28);
    s += line + g.help + "\n";
  }
  s +=
      "\nConfiguration: as the library (aiven::client_options::from_env): AIVEN_TOKEN, AIVEN_WEB_URL, the avn\n"
      "credentials file; the options above override them.\n\n"
      "Output: the response JSON on stdout as the server sent it, unwrapped as the library's typed results\n"
      "are (ServiceGet prints the service object, not {\"service\": ...}); indented on a terminal, one line\n"
      "with --compact or when stdout is not a terminal. Operations without a response body print nothing.\n"
      "Errors: Aiven's error JSON on stderr ({\"message\", \"errors\", \"status\"}).\n\n"
      "Batch: `aiven batch` reads one JSON request per line from stdin,\n"
      "  {\"op\": \"ServiceGet\", \"params\": {\"project\": \"demo\", \"service_name\": \"pg\"}, \"body\": {...}}\n"
      "(params by parameter name; multipart operations take \"file\": PATH), runs them --parallel K at a time\n"
      "through one client and writes one line per request, in input order, as results arrive:\n"
      "  {\"ok\": true, \"status\": 200, \"result\": ...} or {\"ok\": false, \"status\": 404, \"error\": {...}}\n\n"
      "Exit status:\n"
      "  0  success (batch: every request succeeded)\n"
      "  1  API error: the server answered 4xx/5xx, after retries (batch: some request failed)\n"
      "  2  usage error: unknown area, operation or option, bad or missing value\n"
      "  3  transport error: connection, TLS, or a malformed response\n"
      "  4  timeout: the call's deadline (--timeout) expired\n";
  return s;
}

std::string area_help(const area_desc& a) {
  std::string s = std::string("usage: aiven ") + a.name + " <operation> [options]\n\nOperations of the tag " + a.tag +
                  ":\n";
  auto ops = operations().subspan(a.first, a.count);
  for (const auto& op : ops) {
    std::string line = std::string("  ") + op.name;
    pad_to(line, 36);
    line += to_string(op.method);
    pad_to(line, 44);
    line += op.path;
    s += line + "\n";
    std::string sum = op.summary;
    if (op.deprecated) sum = "[deprecated] " + sum;
    if (!sum.empty()) s += "      " + sum + "\n";
  }
  s += std::string("\n`aiven ") + a.name + " <operation> --help` lists an operation's options.\n";
  return s;
}

std::string value_hint(const param_desc& p) {
  param_type t = p.type == param_type::array ? p.item_type : p.type;
  switch (t) {
    case param_type::integer: return "INTEGER";
    case param_type::number: return "NUMBER";
    case param_type::boolean: return "true|false";
    case param_type::json: return "JSON";
    case param_type::enumeration: {
      std::string s;
      for (auto v = p.enum_values; v && *v; ++v) s += (s.empty() ? "" : "|") + std::string(*v);
      return s;
    }
    default: return "STRING";
  }
}

std::string op_help(const op_desc& op) {
  std::string s = std::string("usage: aiven ") + op.area + " " + op.name;
  for (const auto& p : op.parameters())
    if (p.required) s += std::string(" --") + p.option + " " + value_hint(p);
  if (op.body == body_kind::json || op.body == body_kind::raw) s += " --body JSON";
  if (op.body == body_kind::multipart && *op.file_field) s += " --file PATH";
  s += " [options]\n\n";
  if (*op.summary) s += std::string(op.summary) + "\n";
  s += std::string(to_string(op.method)) + " " + op.path + "  (operationId " + op.operation_id + ")\n";
  if (op.deprecated) s += "DEPRECATED: the document marks this operation deprecated.\n";
  s += "\nOptions:\n";
  auto opt_line = [&](std::string head, bool required, std::string text) {
    pad_to(head, 40);
    head += required ? "(required) " : "";
    head += text;
    s += head + "\n";
  };
  for (const auto& p : op.parameters()) {
    std::string where = p.where == location::path ? "path parameter " : p.where == location::query ? "query parameter " : "form field ";
    where += p.name;
    if (p.type == param_type::array) where += " (repeat the option for several values)";
    if (*p.description) where += ". " + std::string(p.description);
    opt_line(std::string("  --") + p.option + " " + value_hint(p), p.required, where);
  }
  switch (op.body) {
    case body_kind::json: opt_line("  --body JSON|@FILE|-", true, "request body (JSON)"); break;
    case body_kind::json_optional: opt_line("  --body JSON|@FILE|-", false, "request body (JSON)"); break;
    case body_kind::raw: opt_line("  --body TEXT|@FILE|-", true, std::string("request body (") + op.body_media + ")"); break;
    case body_kind::multipart:
      if (*op.file_field)
        opt_line("  --file PATH", true, std::string("uploaded as the multipart part ") + op.file_field);
      break;
    case body_kind::none: break;
  }
  if (op.response == response_kind::raw)
    opt_line("  --output PATH", false, std::string("where the response (") + op.accept + ") is written; default stdout");
  if (!op.members().empty()) {
    // The body's top-level members, so that a --body can be written without the API document.
    s += "\nBody members (--body JSON object):\n";
    for (const auto& m : op.members()) {
      std::string line = std::string("  ") + m.name;
      pad_to(line, 34);
      line += m.type;
      pad_to(line, 56);
      if (m.required) line += "(required) ";
      line += m.description;
      while (!line.empty() && line.back() == ' ') line.pop_back();
      s += line + "\n";
    }
  }
  s += "\nResult: ";
  if (op.response == response_kind::empty) s += "none (nothing is printed)\n";
  else if (op.response == response_kind::raw) s += std::string("the response bytes (") + op.accept + ")\n";
  else if (*op.unwrap) s += std::string("the response's \"") + op.unwrap + "\" member\n";
  else s += "the response JSON\n";
  s += "Global options: aiven --help\n";
  return s;
}

// ---- running ------------------------------------------------------------------------------

struct context {
  std::unique_ptr<sim::simulator> sim;
  client_options opts;
};

context make_context(const global_options& g, unsigned connections) {
  context ctx;
  ctx.opts = client_options::from_env();
  ctx.opts.user_agent = std::string("aiven-cli/") + AIVEN_VERSION_STRING;
  if (g.simulator) {
    ctx.sim = std::make_unique<sim::simulator>();
    ctx.opts.base_url = ctx.sim->base_url();
    ctx.opts.ca_pem = ctx.sim->ca_pem();
    ctx.opts.token = ctx.sim->token();
  }
  if (g.token) ctx.opts.token = *g.token;
  if (g.url) ctx.opts.base_url = *g.url;
  if (g.ca_file) ctx.opts.ca_file = *g.ca_file;
  if (g.timeout_s) ctx.opts.request_timeout = std::chrono::milliseconds(static_cast<long long>(*g.timeout_s * 1000));
  if (g.retries) ctx.opts.retry.max_attempts = *g.retries + 1;
  if (g.rate) ctx.opts.rate_limit.requests_per_second = *g.rate;
  if (ctx.opts.base_url.rfind("http://", 0) == 0 && !g.insecure_http)
    throw usage_error{"an http:// base URL sends the token in clear: add --insecure-http to allow it", ""};
  ctx.opts.allow_insecure_http = g.insecure_http;
  ctx.opts.pool.max_connections = std::max<std::size_t>(ctx.opts.pool.max_connections, connections);
  // Each line of a batch is one request on the wire.
  ctx.opts.single_flight = false;
  if (g.verbose > 0) {
    // The record is redacted by the library (the token is never in it).
    ctx.opts.log_bodies = g.verbose > 1;
    ctx.opts.on_attempt = [](const attempt_record& r) {
      // format_attempt includes the bodies when log_bodies gave them.
      std::string line = "aiven: " + format_attempt(r) + "\n";
      std::fwrite(line.data(), 1, line.size(), stderr);
    };
  }
  return ctx;
}

void write_out(std::FILE* f, std::string_view s) { std::fwrite(s.data(), 1, s.size(), f); }

std::optional<std::string> body_text(const std::string& arg) {
  if (arg == "-") return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  if (!arg.empty() && arg[0] == '@') {
    std::ifstream f(arg.substr(1), std::ios::binary);
    if (!f) throw usage_error{"cannot read --body file " + arg.substr(1), ""};
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  return arg;
}

constexpr const char* no_token_message = "no token: AIVEN_TOKEN unset and no credentials file";

// The request as it would be sent: method, URL, headers, body; the token and secrets redacted.
json::value dry_run_json(const raw_request& r, const client_options& o) {
  std::string target = r.path;
  for (std::size_t i = 0; i < r.query.size(); ++i)
    target += (i ? "&" : "?") + r.query[i].first + "=" + r.query[i].second;
  json::object out;
  out["method"] = to_string(r.method);
  out["url"] = o.base_url + redact_target(target, r.secret_segments);
  json::object h;
  h["Authorization"] = o.token.empty() ? "(none: no token)" : "aivenv1 [REDACTED]";
  h["User-Agent"] = o.user_agent;
  h["Accept"] = r.accept;
  if (!r.body.empty()) h["Content-Type"] = r.content_type;
  out["headers"] = std::move(h);
  if (!r.body.empty()) {
    std::string red = redact_json(r.body);
    boost::system::error_code ec;
    json::value b = json::parse(red, ec);
    out["body"] = ec ? json::value(red) : std::move(b);
  }
  return out;
}

// --fields a,b.c: the members at those dotted paths (for an array result, of each element).
// One field prints its bare value (a string without quotes), several a JSON object.
std::optional<std::string> select_fields(const json::value& v, const std::string& spec, bool pretty, std::string& error) {
  std::vector<std::string> fields;
  for (std::size_t start = 0; start <= spec.size();) {
    auto comma = spec.find(',', start);
    if (comma == std::string::npos) comma = spec.size();
    std::string f = spec.substr(start, comma - start);
    if (f.empty()) {
      error = "invalid --fields '" + spec + "': an empty field name";
      return std::nullopt;
    }
    fields.push_back(std::move(f));
    start = comma + 1;
  }
  auto lookup = [](const json::value& root, const std::string& path) -> const json::value* {
    const json::value* cur = &root;
    for (std::size_t start = 0; start <= path.size();) {
      auto dot = path.find('.', start);
      if (dot == std::string::npos) dot = path.size();
      if (!cur->is_object()) return nullptr;
      cur = cur->as_object().if_contains(path.substr(start, dot - start));
      if (!cur) return nullptr;
      start = dot + 1;
    }
    return cur;
  };
  auto one = [&](const json::value& item) {
    if (fields.size() == 1) {
      const json::value* x = lookup(item, fields[0]);
      if (!x) return std::string("null\n");
      if (x->is_string()) return std::string(x->as_string()) + "\n";
      return format_json(*x, pretty) + "\n";
    }
    json::object o;
    for (const auto& f : fields) {
      const json::value* x = lookup(item, f);
      o[f] = x ? *x : json::value(nullptr);
    }
    return format_json(o, pretty) + "\n";
  };
  std::string out;
  if (v.is_array())
    for (const auto& item : v.as_array()) out += one(item);
  else
    out = one(v);
  return out;
}

// Prints a JSON result (with --fields, the members selected).
int print_result(const op_desc& op, const raw_response& res, const global_options& g) {
  if (auto v = result_json(op, res)) {
    if (g.fields) {
      std::string error;
      auto text = select_fields(*v, *g.fields, stdout_is_tty() && !g.compact, error);
      if (!text) {
        std::cerr << "aiven: " << error << "\n";
        return exit_usage;
      }
      write_out(stdout, *text);
    } else {
      write_out(stdout, format_json(*v, stdout_is_tty() && !g.compact) + "\n");
    }
  }
  return exit_ok;
}

// --if-exists=get: the get that reads what a create found existing, and which body member
// names it (the create's path parameters are the get's too).
struct read_back {
  const char* create;
  const char* get;
  const char* body_member;  // in the create's body
  const char* get_option;   // the get's option for it
};
constexpr read_back read_backs[] = {
    {"ServiceCreate", "ServiceGet", "service_name", "service-name"},
    {"ServiceKafkaTopicCreate", "ServiceKafkaTopicGet", "topic_name", "topic-name"},
    {"ServiceUserCreate", "ServiceUserGet", "username", "service-username"},
};
const read_back* read_back_of(std::string_view create) {
  for (const auto& r : read_backs)
    if (create == r.create) return &r;
  return nullptr;
}

std::optional<raw_request> read_back_request(const read_back& rb, const param_values& create_values,
                                             const body_input& body, std::string& why) {
  boost::system::error_code jec;
  json::value b = json::parse(body.text.value_or(""), jec);
  const json::value* name = (!jec && b.is_object()) ? b.as_object().if_contains(rb.body_member) : nullptr;
  if (!name || !name->is_string()) {
    why = std::string("the body has no string \"") + rb.body_member + "\" to read the existing one by";
    return std::nullopt;
  }
  param_values values;
  const op_desc* get = find_operation_id(rb.get);
  for (const auto& p : get->parameters())
    if (auto it = create_values.find(p.option); it != create_values.end()) values[p.option] = it->second;
  values[rb.get_option] = {std::string(name->as_string())};
  return build_request(*get, values, body_input{}, why);
}

int run_operation(const op_desc& op, const command_line& cl) {
  const global_options& g = cl.g;
  param_values values;
  for (const auto& [name, value] : cl.op_options) {
    bool known = false;
    for (const auto& p : op.parameters()) known = known || name == p.option;
    if (!known)
      throw usage_error{"unknown option --" + name + " for `aiven " + op.area + " " + op.name + "`",
                        std::string("aiven ") + op.area + " " + op.name + " --help"};
    values[name].push_back(value);
  }
  if (g.output && op.response != response_kind::raw)
    throw usage_error{std::string("`aiven ") + op.area + " " + op.name + "` prints JSON: --output is for binary downloads",
                      std::string("aiven ") + op.area + " " + op.name + " --help"};
  body_input body;
  if (g.body) body.text = body_text(*g.body);
  else if (op.body == body_kind::json && ::isatty(0) != 1) body.text = body_text("-");
  body.file_path = g.file;
  const read_back* existing_read = nullptr;
  if (g.if_exists == "get") {
    existing_read = read_back_of(op.operation_id);
    if (!existing_read)
      throw usage_error{std::string("--if-exists=get is for ServiceCreate, ServiceKafkaTopicCreate and ServiceUserCreate,"
                                    " not ") + op.operation_id, ""};
  }
  std::string error;
  auto req = build_request(op, values, body, error);
  if (!req) throw usage_error{error, std::string("aiven ") + op.area + " " + op.name + " --help"};

  context ctx = make_context(g, 1);
  if (g.dry_run) {
    write_out(stdout, format_json(dry_run_json(*req, ctx.opts), stdout_is_tty() && !g.compact) + "\n");
    return exit_ok;
  }
  boost::asio::io_context ioc;
  client c(ioc.get_executor(), ctx.opts);
  diagnostics diag;
  error_code ec;
  raw_response res;
  c.with({.idempotent = op.idempotent}).async_request(std::move(*req), diag, [&](error_code e, raw_response r) {
    ec = e;
    res = std::move(r);
  });
  ioc.run();
  if (ec && existing_read && ec == errc::conflict && is_existing_resource_conflict(diag)) {
    // --if-exists=get: the 409 says it exists; read it with the matching get.
    std::string why;
    auto get = read_back_request(*existing_read, values, body, why);
    if (!get) {
      std::cerr << "aiven: --if-exists=get: " << why << "\n";
      return exit_usage;
    }
    std::cerr << "aiven: " << op.operation_id << " answered 409 (" << diag.message << "); printing the existing one ("
              << existing_read->get << ")\n";
    const op_desc& get_op = *find_operation_id(existing_read->get);
    diag.clear();
    ec = {};
    res = {};
    c.async_request(std::move(*get), diag, [&](error_code e, raw_response r) {
      ec = e;
      res = std::move(r);
    });
    ioc.restart();
    ioc.run();
    if (!ec) return print_result(get_op, res, g);
  }
  if (ec) {
    auto err = error_json(ec, diag, res);
    if (ec == errc::unauthorized && ctx.opts.token.empty() && err.is_object()) {
      // Say why, rather than only what the server said.
      err.as_object()["client_message"] = no_token_message;
      std::cerr << "aiven: " << no_token_message << "\n";
    }
    write_out(stderr, format_json(err, ::isatty(2) == 1 && !g.compact) + "\n");
    return exit_code_of(ec);
  }
  if (op.response == response_kind::raw) {
    if (g.output) {
      std::ofstream f(*g.output, std::ios::binary | std::ios::trunc);
      f.write(res.body.data(), static_cast<std::streamsize>(res.body.size()));
      if (!f) {
        std::cerr << "aiven: cannot write --output " << *g.output << "\n";
        return exit_usage;
      }
    } else {
      write_out(stdout, res.body);
    }
    return exit_ok;
  }
  return print_result(op, res, g);
}

// ---- batch ----------------------------------------------------------------------------------

struct batch_job {
  const op_desc* op = nullptr;
  std::optional<raw_request> req;
  std::string error;  // usage error of the line
};

std::string scalar_text(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  return json::serialize(v);
}

batch_job parse_line(std::string_view line) {
  batch_job job;
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec || !v.is_object()) {
    job.error = "the line is not a JSON object";
    return job;
  }
  const auto& o = v.get_object();
  const json::value* op = o.if_contains("op");
  if (!op || !op->is_string()) {
    job.error = "missing \"op\" (an operationId, e.g. \"ServiceGet\")";
    return job;
  }
  job.op = find_operation_id(op->get_string());
  if (!job.op) {
    job.error = "unknown operation " + std::string(op->get_string());
    return job;
  }
  param_values values;
  body_input body;
  if (const json::value* ps = o.if_contains("params")) {
    if (!ps->is_object()) {
      job.error = "\"params\" must be an object";
      return job;
    }
    for (const auto& kv : ps->get_object()) {
      const param_desc* p = nullptr;
      for (const auto& d : job.op->parameters())
        if (kv.key() == d.name || kv.key() == d.option) p = &d;
      if (!p && kv.key() == "file" && job.op->body == body_kind::multipart && kv.value().is_string()) {
        body.file_path = std::string(kv.value().get_string());
        continue;
      }
      if (!p) {
        job.error = "unknown parameter " + std::string(kv.key()) + " for " + job.op->operation_id;
        return job;
      }
      auto& vs = values[p->option];
      if (kv.value().is_array() && p->type == param_type::array) {
        for (const auto& x : kv.value().get_array()) vs.push_back(scalar_text(x));
      } else {
        vs.push_back(scalar_text(kv.value()));
      }
    }
  }
  if (const json::value* b = o.if_contains("body"); b && !b->is_null())
    body.text = b->is_string() && job.op->body == body_kind::raw ? std::string(b->get_string()) : json::serialize(*b);
  std::string error;
  job.req = build_request(*job.op, values, body, error, naming::parameters);
  if (!job.req) job.error = error;
  return job;
}

int run_batch(const command_line& cl) {
  if (cl.positional.size() > 1) throw usage_error{"unexpected argument " + cl.positional[1], "aiven --help"};
  if (!cl.op_options.empty()) throw usage_error{"unknown option --" + cl.op_options.front().first + " for `aiven batch`", "aiven --help"};
  context ctx = make_context(cl.g, cl.g.parallel);
  boost::asio::io_context ioc;
  client c(ioc.get_executor(), ctx.opts);
  auto work = boost::asio::make_work_guard(ioc);
  const unsigned parallel = cl.g.parallel;

  // Lines read and not yet printed, in input order; `base` is the index of the front one.
  // A deque keeps its elements in place as lines are added and printed ones removed, so
  // an in-flight call's diagnostics stay where the client writes them.
  struct slot {
    batch_job job;
    std::string out;
    bool done = false;
    diagnostics diag;
  };
  std::deque<slot> window;
  std::size_t base = 0, next_start = 0, in_flight = 0;
  bool all_ok = true;

  // stdin is read on a thread of its own, so that results stream out while input is still
  // coming; it stays at most `read_ahead` lines ahead of the output.
  const std::size_t read_ahead = 4 * static_cast<std::size_t>(parallel) + 256;
  std::mutex m;
  std::condition_variable cv;
  std::size_t printed = 0;  // guarded by m

  // Progress on stderr, only for a person watching (stderr a terminal), never in a pipe or log.
  const bool show_progress = ::isatty(2) == 1;
  progress_meter meter(std::chrono::steady_clock::now());
  std::size_t n_done = 0, n_failed = 0;
  auto progress = [&](bool final_line) {
    if (!show_progress) return;
    const std::string line = meter.update({n_done, n_failed, in_flight}, std::chrono::steady_clock::now(), final_line);
    if (!line.empty()) std::fputs(line.c_str(), stderr);
  };
  auto failure = [&](const json::value& err, unsigned status) {
    all_ok = false;
    ++n_failed;
    json::object o;
    o["ok"] = false;
    o["status"] = status;
    o["error"] = err;
    return json::serialize(o);
  };
  auto flush = [&] {
    std::string chunk;
    std::size_t n = 0;
    while (!window.empty() && window.front().done) {
      chunk += window.front().out;
      chunk += '\n';
      window.pop_front();
      ++base;
      ++n;
    }
    if (n == 0) return;
    write_out(stdout, chunk);
    std::fflush(stdout);
    {
      std::lock_guard lk(m);
      printed += n;
    }
    cv.notify_one();
  };
  std::function<void()> start = [&] {
    while (in_flight < parallel && next_start < base + window.size()) {
      std::size_t i = next_start++;
      slot& s = window[i - base];
      if (!s.job.req) {
        json::object err;
        err["message"] = s.job.error;
        err["error_code"] = "usage";
        s.out = failure(err, 0);
        s.done = true;
        ++n_done;  // a bad line is finished (and failed) too
        continue;
      }
      ++in_flight;
      slot* sp = &s;
      c.with({.idempotent = s.job.op->idempotent})
          .async_request(std::move(*s.job.req), s.diag, [&, sp](error_code ec, raw_response res) {
            --in_flight;
            if (ec) {
              sp->out = failure(error_json(ec, sp->diag, res), sp->diag.http_status);
            } else {
              json::object o;
              o["ok"] = true;
              o["status"] = res.status;
              auto v = result_json(*sp->job.op, res);
              o["result"] = v ? std::move(*v) : json::value(nullptr);
              sp->out = json::serialize(o);
            }
            sp->done = true;
            ++n_done;
            progress(false);
            flush();
            start();
          });
    }
    flush();
  };

  std::thread reader([&] {
    std::string line;
    std::size_t read = 0;
    while (std::getline(std::cin, line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto job = std::make_shared<batch_job>(parse_line(line));
      {
        std::unique_lock lk(m);
        cv.wait(lk, [&] { return read - printed < read_ahead; });
      }
      ++read;
      boost::asio::post(ioc, [&, job] {
        window.push_back(slot{std::move(*job)});
        start();
      });
    }
    boost::asio::post(ioc, [&] { work.reset(); });
  });
  ioc.run();
  reader.join();
  flush();
  progress(true);
  return all_ok ? exit_ok : exit_api;
}

}  // namespace

int run(int argc, char** argv) {
  try {
    command_line cl = parse(argc, argv);
    if (cl.g.version) {
      std::cout << "aiven " << AIVEN_VERSION_STRING << " (aiven-cpp; " << operations().size()
                << " operations, API document sha256 " << document_sha() << ")\n";
      return exit_ok;
    }
    if (cl.positional.empty()) {
      if (cl.g.help) {
        std::cout << general_help();
        return exit_ok;
      }
      std::cerr << general_help();
      return exit_usage;
    }
    const std::string& area_name = cl.positional[0];
    if (area_name == "batch") {
      if (cl.g.help) {
        std::cout << general_help();
        return exit_ok;
      }
      return run_batch(cl);
    }
    if (area_name == "wait") {
      if (cl.g.help) {
        std::cout << wait_help();
        return exit_ok;
      }
      context ctx = make_context(cl.g, 1);
      std::optional<std::chrono::milliseconds> deadline;
      if (cl.g.timeout_s) deadline = std::chrono::milliseconds(static_cast<long long>(*cl.g.timeout_s * 1000));
      return run_wait(cl.positional, cl.op_options, ctx.opts, deadline);
    }
    if (area_name == "service" && cl.positional.size() >= 2 && cl.positional[1] == "logs" &&
        !find_operation("service", "logs")) {
      if (cl.positional.size() > 2) throw usage_error{"unexpected argument '" + cl.positional[2] + "'", ""};
      if (cl.g.help) {
        std::cout << logs_help();
        return exit_ok;
      }
      context ctx = make_context(cl.g, 1);
      std::optional<std::chrono::milliseconds> deadline;
      if (cl.g.timeout_s) deadline = std::chrono::milliseconds(static_cast<long long>(*cl.g.timeout_s * 1000));
      return run_logs(cl.op_options, ctx.opts, cl.g.follow, deadline, stdout_is_tty() && !cl.g.compact);
    }
    if (cl.g.follow) throw usage_error{"--follow is for aiven service logs", "aiven service logs --help"};
    const area_desc* area = find_area(area_name);
    if (!area) throw usage_error{"unknown area '" + area_name + "'", "aiven --help"};
    if (cl.positional.size() == 1) {
      if (cl.g.help) {
        std::cout << area_help(*area);
        return exit_ok;
      }
      std::cerr << area_help(*area);
      return exit_usage;
    }
    const op_desc* op = find_operation(area_name, cl.positional[1]);
    if (!op)
      throw usage_error{"unknown operation '" + cl.positional[1] + "' in area " + area_name,
                        "aiven " + area_name + " --help"};
    if (cl.positional.size() > 2) throw usage_error{"unexpected argument '" + cl.positional[2] + "'", ""};
    if (cl.g.help) {
      std::cout << op_help(*op);
      return exit_ok;
    }
    return run_operation(*op, cl);
  } catch (const usage_error& e) {
    std::cerr << "aiven: " << e.message << "\n";
    if (!e.hint.empty()) std::cerr << "see: " << e.hint << "\n";
    return exit_usage;
  } catch (const std::invalid_argument& e) {
    std::cerr << "aiven: " << e.what() << "\n";
    return exit_usage;
  } catch (const std::exception& e) {
    std::cerr << "aiven: " << e.what() << "\n";
    return exit_transport;
  }
}

}  // namespace aiven::cli

int main(int argc, char** argv) { return aiven::cli::run(argc, argv); }
