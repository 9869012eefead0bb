// The `aiven` command line tool, run as a process against the simulator: exit
// statuses, output, usage errors, batch order and partial failures, help text.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <aiven/sim/simulator.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AIVEN_CLI_PATH
#error AIVEN_CLI_PATH must name the aiven binary
#endif
#ifndef AIVEN_OPENAPI_PATH
#error AIVEN_OPENAPI_PATH must name the OpenAPI document
#endif

namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

struct result {
  int status = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::string temp_dir() {
  static std::string dir = [] {
    char tpl[] = "/tmp/aiven-cli-test-XXXXXX";
    const char* d = ::mkdtemp(tpl);
    REQUIRE(d != nullptr);
    return std::string(d);
  }();
  return dir;
}

/// Runs the tool with `args`, `input` on stdin, a clean environment (no AIVEN_*,
/// HOME without credentials) plus `env`.
result run(const std::vector<std::string>& args, const std::string& input = "",
           const std::vector<std::string>& env = {}) {
  static int counter = 0;
  std::string base = temp_dir() + "/run" + std::to_string(++counter);
  std::string in = base + ".in", out = base + ".out", err = base + ".err";
  std::ofstream(in, std::ios::binary) << input;
  std::vector<std::string> argv_s{AIVEN_CLI_PATH};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s{"HOME=" + temp_dir(), "PATH=/usr/bin:/bin"};
  env_s.insert(env_s.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  int ws = 0;
  REQUIRE(::waitpid(pid, &ws, 0) == pid);
  result r;
  r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

/// The tool pointed at `sim` (trusting its CA).
std::vector<std::string> at(const aiven::sim::simulator& sim, std::vector<std::string> args) {
  std::vector<std::string> v{"--url", sim.base_url(), "--ca-file", sim.write_ca_file(temp_dir()), "--token",
                             sim.token(), "--retries", "1"};
  v.insert(v.end(), args.begin(), args.end());
  return v;
}

json::value parse(const std::string& s) {
  boost::system::error_code ec;
  json::value v = json::parse(s, ec);
  INFO("not JSON: " << s);
  REQUIRE(!ec);
  return v;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("a call prints the unwrapped result; exit 0") {
  aiven::sim::simulator sim;
  auto r = run(at(sim, {"project", "get", "--project", "demo"}));
  INFO(r.err);
  CHECK(r.status == 0);
  auto v = parse(r.out);
  // ProjectGet's {"project": {...}} is printed as the project object, as the typed result is.
  REQUIRE(v.is_object());
  CHECK(v.as_object().at("project_name").as_string() == "demo");
  CHECK(r.out.find('\n') == r.out.size() - 1);  // stdout is not a terminal: compact, one line
  auto recorded = sim.requests();
  REQUIRE(recorded.size() == 1);
  CHECK(recorded[0].method == "GET");
  CHECK(recorded[0].target == "/v1/project/demo");
  CHECK(recorded[0].authorized);
}

TEST_CASE("body from --body, @file and stdin; path values are percent-encoded") {
  aiven::sim::simulator sim;
  std::string body = R"({"cloud":"google-europe-west1","plan":"startup-4","service_name":"pg-a","service_type":"pg"})";
  auto r = run(at(sim, {"service", "create", "--project", "demo", "--body", body}));
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(parse(r.out).as_object().at("service_name").as_string() == "pg-a");

  std::string file = temp_dir() + "/body.json";
  std::ofstream(file) << R"({"cloud":"google-europe-west1","plan":"startup-4","service_name":"pg-b","service_type":"pg"})";
  r = run(at(sim, {"service", "create", "--project", "demo", "--body", "@" + file}));
  CHECK(r.status == 0);
  r = run(at(sim, {"service", "create", "--project", "demo"}),
          R"({"cloud":"google-europe-west1","plan":"startup-4","service_name":"pg-c","service_type":"pg"})");
  CHECK(r.status == 0);
  r = run(at(sim, {"service", "list", "--project", "demo"}));
  auto list = parse(r.out);
  REQUIRE(list.is_array());
  CHECK(list.as_array().size() == 3);

  sim.clear_requests();
  r = run(at(sim, {"service", "get", "--project", "demo", "--service-name", "a b/c"}));
  CHECK(r.status == 1);
  REQUIRE(!sim.requests().empty());
  CHECK(sim.requests()[0].target == "/v1/project/demo/service/a%20b%2Fc");
}

TEST_CASE("multipart upload: --file and the form fields") {
  aiven::sim::simulator sim;  // it answers the operation unmodelled: only the request is checked
  std::string file = temp_dir() + "/up.txt";
  std::ofstream(file) << "word, synonym\n";
  auto r = run(at(sim, {"service", "custom-file-upload", "--project", "demo", "--service-name", "os", "--file", file,
                        "--filename", "syn", "--filetype", "synonyms"}));
  CHECK(r.status == 0);
  auto recorded = sim.requests();
  REQUIRE(recorded.size() == 1);
  CHECK(recorded[0].method == "POST");
  CHECK(recorded[0].target == "/v1/project/demo/service/os/file");
  const std::string& b = recorded[0].body;
  CHECK(b.find("Content-Disposition: form-data; name=\"file\"; filename=\"up.txt\"\r\n") != std::string::npos);
  CHECK(b.find("\r\n\r\nword, synonym\n\r\n") != std::string::npos);
  CHECK(b.find("name=\"filename\"\r\n\r\nsyn\r\n") != std::string::npos);
  CHECK(b.find("name=\"filetype\"\r\n\r\nsynonyms\r\n") != std::string::npos);
}

TEST_CASE("exit statuses: 401, 404, 429 after retries, TLS failure, timeout") {
  aiven::sim::simulator sim;
  SUBCASE("401") {
    auto args = at(sim, {"project", "list"});
    args[5] = "wrong-token";
    auto r = run(args);
    CHECK(r.status == 1);
    auto e = parse(r.err);
    CHECK(e.as_object().at("status").to_number<int>() == 401);
    CHECK(r.out.empty());
  }
  SUBCASE("404 carries Aiven's error JSON") {
    auto r = run(at(sim, {"service", "get", "--project", "demo", "--service-name", "nope"}));
    CHECK(r.status == 1);
    auto e = parse(r.err).as_object();
    CHECK(e.at("status").to_number<int>() == 404);
    CHECK(e.contains("message"));
  }
  SUBCASE("429 until the deadline: 429s are not failed attempts, --retries does not end them") {
    sim.inject(aiven::sim::fault{.kind = aiven::sim::fault_kind::rate_limit, .retry_after_s = 1,
                                 .with_retry_after_header = false, .count = -1});
    auto r = run(at(sim, {"--timeout", "1.5", "project", "list"}));
    CHECK(r.status == 1);
    CHECK(parse(r.err).as_object().at("status").to_number<int>() == 429);
    CHECK(sim.requests().size() == 2);  // the hint of 1 s fits once in 1.5 s, not twice
  }
  SUBCASE("TLS: the simulator's CA is not trusted") {
    auto r = run({"--url", sim.base_url(), "--token", sim.token(), "--retries", "0", "project", "list"});
    CHECK(r.status == 3);
    auto e = parse(r.err).as_object();
    CHECK(e.at("errors").as_array()[0].as_object().at("error_code").as_string() == "transport");
  }
  SUBCASE("timeout") {
    sim.inject(aiven::sim::fault{.kind = aiven::sim::fault_kind::slow_headers, .delay = 3000ms, .count = -1});
    auto args = at(sim, {"--timeout", "0.5", "project", "list"});
    auto t0 = std::chrono::steady_clock::now();
    auto r = run(args);
    CHECK(r.status == 4);
    CHECK(std::chrono::steady_clock::now() - t0 < 2500ms);
    CHECK(parse(r.err).as_object().at("errors").as_array()[0].as_object().at("error_code").as_string() == "timeout");
  }
  SUBCASE("connection refused") {
    auto r = run({"--url", "https://127.0.0.1:1", "--retries", "0", "project", "list"});
    CHECK(r.status == 3);
  }
}

TEST_CASE("usage errors: exit 2, nothing sent, the message names the option") {
  aiven::sim::simulator sim;
  struct usage_case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<usage_case> cases{
      {{"nosuch-area", "list"}, "unknown area 'nosuch-area'"},
      {{"service", "nosuch"}, "unknown operation 'nosuch' in area service"},
      {{"service", "get", "--project", "demo"}, "missing required option --service-name"},
      {{"service", "get", "--project", "demo", "--service-name", "x", "--bogus", "1"}, "unknown option --bogus"},
      {{"service", "list", "--project", "demo", "--limit", "1"}, "unknown option --limit"},
      {{"organization-vpc", "get", "--organization-id", "o", "--organization-vpc-id", "v", "--x"},
       "option --x needs a value"},
      {{"service", "create", "--project", "demo", "--body", "{not json"}, "invalid value for --body"},
      {{"project", "list", "--timeout", "soon"}, "invalid value for --timeout"},
      {{"--url", "http://127.0.0.1:9", "project", "list"}, "--insecure-http"},
      {{"project", "get", "--project", "demo", "--output", "x.json"}, "--output is for binary downloads"},
      {{"project", "get", "--project", "demo", "--file", "x.txt"}, "ProjectGet takes no file"},
      {{"project", "get", "--project", "demo", "--body", "{}"}, "ProjectGet takes no --body"},
      {{"service", "custom-file-upload", "--project", "demo", "--service-name", "s", "--filename", "f",
        "--filetype", "synonyms"}, "missing --file PATH"},
  };
  for (const auto& c : cases) {
    auto r = run(at(sim, c.args), "");
    INFO(c.message << " | stderr: " << r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find(c.message) != std::string::npos);
  }
  CHECK(sim.requests().empty());
}

TEST_CASE("typed options: a bad integer, boolean or enum value is a usage error naming the option") {
  struct typed_case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<typed_case> cases{
      {{"organization-emissions", "get", "--organization-id", "o", "--granularity", "weekly"},
       "invalid value for --granularity: expected one of"},
      {{"service", "get", "--project", "p", "--service-name", "s", "--include-secrets", "yes"},
       "invalid value for --include-secrets: expected true or false"},
      {{"organizations", "organization-governance-access-list", "--organization-id", "o", "--limit", "ten"},
       "invalid value for --limit: expected an integer, got 'ten'"},
      {{"service", "get", "--project", "p", "--service-name", "s", "--service-name", "t"},
       "option --service-name given more than once"},
  };
  for (const auto& c : cases) {
    auto r = run(c.args);
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find(c.message) != std::string::npos);
  }
}

TEST_CASE("batch: results in input order, partial failures, K in flight") {
  aiven::sim::simulator sim;
  std::string input;
  const int n = 40;
  for (int i = 0; i < n; ++i) {
    if (i % 10 == 3) {
      input += R"({"op":"ServiceGet","params":{"project":"demo","service_name":"missing-)" + std::to_string(i) + "\"}}\n";
    } else if (i % 10 == 7) {
      input += R"({"op":"NoSuchOperation"})" "\n";
    } else if (i % 10 == 5) {
      input += R"({"op":"ServiceCreate","params":{"project":"demo"},"body":{"cloud":"google-europe-west1","plan":"startup-4","service_name":"s)" +
               std::to_string(i) + R"(","service_type":"pg"}})" "\n";
    } else {
      input += R"({"op":"ProjectGet","params":{"project":"demo"}})" "\n";
    }
  }
  // Slow answers make completion order differ from input order.
  sim.inject(aiven::sim::fault{.kind = aiven::sim::fault_kind::slow_headers, .delay = 300ms, .path_prefix = "/v1/project/demo/service/missing-3"});
  auto r = run(at(sim, {"batch", "--parallel", "8"}), input);
  INFO(r.err);
  CHECK(r.status == 1);  // some failed
  CHECK(r.err.empty());  // stderr is a pipe here: no progress lines (they are for a terminal)
  auto out = lines(r.out);
  REQUIRE(out.size() == static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto v = parse(out[i]).as_object();
    INFO("line " << i << ": " << out[i]);
    if (i % 10 == 3) {
      CHECK(v.at("ok").as_bool() == false);
      CHECK(v.at("status").to_number<int>() == 404);
      CHECK(v.at("error").as_object().contains("message"));
    } else if (i % 10 == 7) {
      CHECK(v.at("ok").as_bool() == false);
      CHECK(v.at("error").as_object().at("message").as_string() == "unknown operation NoSuchOperation");
    } else if (i % 10 == 5) {
      CHECK(v.at("ok").as_bool() == true);
      CHECK(v.at("result").as_object().at("service_name").as_string() == "s" + std::to_string(i));
    } else {
      CHECK(v.at("ok").as_bool() == true);
      CHECK(v.at("status").to_number<int>() == 200);
      CHECK(v.at("result").as_object().at("project_name").as_string() == "demo");
    }
  }
  CHECK(sim.max_open_connections() <= 8);
  CHECK(sim.max_open_connections() >= 2);

  auto ok = run(at(sim, {"batch"}), R"({"op":"ListClouds"})" "\n" R"({"op":"ProjectList"})" "\n");
  CHECK(ok.status == 0);
  CHECK(lines(ok.out).size() == 2);

  // A bad line fails alone, named in the batch's own terms; nothing is sent for it.
  sim.clear_requests();
  auto bad = run(at(sim, {"batch"}), R"({"op":"ServiceGet","params":{"project":"demo"}})" "\n"
                                     R"({"op":"ServiceGet","params":{"project":"demo","service_name":"x","include_secrets":"maybe"}})" "\n"
                                     "not json\n");
  CHECK(bad.status == 1);
  auto bl = lines(bad.out);
  REQUIRE(bl.size() == 3);
  CHECK(parse(bl[0]).as_object().at("error").as_object().at("message").as_string() ==
        "missing required parameter service_name");
  CHECK(std::string(parse(bl[1]).as_object().at("error").as_object().at("message").as_string())
            .starts_with("invalid value for parameter include_secrets: expected true or false"));
  CHECK(parse(bl[2]).as_object().at("ok").as_bool() == false);
  CHECK(sim.requests().empty());
}

TEST_CASE("batch: results stream out while stdin is open; long inputs keep their order") {
  aiven::sim::simulator sim;
  {
    // One line in, its result out, with stdin still open.
    int in[2], out[2];
    REQUIRE(::pipe(in) == 0);
    REQUIRE(::pipe(out) == 0);
    std::vector<std::string> argv_s{AIVEN_CLI_PATH};
    for (auto& a : at(sim, {"batch"})) argv_s.push_back(a);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string home = "HOME=" + temp_dir();
    char* envp[] = {home.data(), nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp) == 0);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    std::string line = R"({"op":"ProjectGet","params":{"project":"demo"}})" "\n";
    REQUIRE(::write(in[1], line.data(), line.size()) == static_cast<ssize_t>(line.size()));
    std::string got;
    char ch = 0;
    while (::read(out[0], &ch, 1) == 1 && ch != '\n') got += ch;
    CHECK(parse(got).as_object().at("ok").as_bool() == true);
    ::close(in[1]);
    CHECK(::read(out[0], &ch, 1) == 0);  // stdin closed: it ends
    ::close(out[0]);
    int ws = 0;
    REQUIRE(::waitpid(pid, &ws, 0) == pid);
    CHECK(WIFEXITED(ws));
    CHECK(WEXITSTATUS(ws) == 0);
  }
  // More lines than the read-ahead window (4 * K + 256): nothing lost, in order. Line i asks
  // for project p<i % 37>, so each result names its line.
  for (int p = 0; p < 37; ++p) sim.add_project("p" + std::to_string(p));
  std::string input;
  const int n = 1500;
  for (int i = 0; i < n; ++i)
    input += R"({"op":"ProjectGet","params":{"project":"p)" + std::to_string(i % 37) + "\"}}\n";
  auto r = run(at(sim, {"batch", "--parallel", "4"}), input);
  CHECK(r.status == 0);
  auto out = lines(r.out);
  REQUIRE(out.size() == static_cast<std::size_t>(n));
  int in_order = 0;
  for (int i = 0; i < n; ++i) {
    auto v = parse(out[i]).as_object();
    in_order += v.at("result").as_object().at("project_name").as_string() == "p" + std::to_string(i % 37);
  }
  CHECK(in_order == n);
}

TEST_CASE("-v logs each attempt on stderr, redacted; -vv adds the bodies") {
  aiven::sim::simulator sim;
  sim.inject(aiven::sim::fault{.status = 503, .count = 1});
  auto r = run(at(sim, {"-v", "project", "get", "--project", "demo"}));
  CHECK(r.status == 0);
  INFO(r.err);
  CHECK(r.err.find("GET /v1/project/demo 503") != std::string::npos);
  CHECK(r.err.find("retrying") != std::string::npos);
  CHECK(r.err.find("GET /v1/project/demo 200") != std::string::npos);
  CHECK(r.err.find(sim.token()) == std::string::npos);
  CHECK(r.err.find("request: ") == std::string::npos);  // bodies only with -vv
  CHECK(parse(r.out).as_object().at("project_name").as_string() == "demo");

  std::string body = R"({"cloud":"google-europe-west1","plan":"startup-4","service_name":"pg-v","service_type":"pg",)"
                     R"("user_config":{"admin_password":"hunter2-secret"}})";
  auto vv = run(at(sim, {"-vv", "service", "create", "--project", "demo", "--body", body}));
  INFO(vv.err);
  CHECK(vv.status == 0);
  CHECK(vv.err.find("request: {") != std::string::npos);
  CHECK(vv.err.find("response: {") != std::string::npos);
  CHECK(vv.err.find("[REDACTED]") != std::string::npos);
  CHECK(vv.err.find("hunter2-secret") == std::string::npos);
  CHECK(vv.err.find(sim.token()) == std::string::npos);
}

TEST_CASE("configuration as the library's: AIVEN_TOKEN, the avn credentials file, AIVEN_WEB_URL") {
  aiven::sim::simulator sim;
  std::string ca = sim.write_ca_file(temp_dir());
  std::string creds = temp_dir() + "/aiven-credentials.json";
  std::ofstream(creds) << R"({"auth_token": ")" << sim.token() << R"("})";
  std::vector<std::string> args{"--ca-file", ca, "--retries", "0", "project", "get", "--project", "demo"};
  CHECK(run(args, "", {"AIVEN_WEB_URL=" + sim.base_url(), "AIVEN_TOKEN=" + sim.token()}).status == 0);
  CHECK(run(args, "", {"AIVEN_WEB_URL=" + sim.base_url(), "AIVEN_CREDENTIALS_FILE=" + creds}).status == 0);
  CHECK(run(args, "", {"AIVEN_WEB_URL=" + sim.base_url()}).status == 1);  // no token: 401
  auto bad = run(args, "", {"AIVEN_WEB_URL=" + sim.base_url(), "AIVEN_CREDENTIALS_FILE=" + temp_dir() + "/none.json"});
  CHECK(bad.status == 2);
}

TEST_CASE("--simulator runs the call against an in-process simulator") {
  auto r = run({"--simulator", "project", "get", "--project", "demo"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(parse(r.out).as_object().at("project_name").as_string() == "demo");
}

TEST_CASE("--help of one operation matches the document") {
  std::ifstream f(AIVEN_OPENAPI_PATH);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto doc = parse(text).as_object();
  // The operation's path is the server URL's path + the document's path.
  std::string base;
  if (auto* servers = doc.if_contains("servers"); servers && !servers->as_array().empty()) {
    std::string url(servers->as_array()[0].as_object().at("url").as_string());
    auto scheme = url.find("://");
    auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    if (slash != std::string::npos) base = url.substr(slash);
    while (!base.empty() && base.back() == '/') base.pop_back();
  }
  const json::object* op = nullptr;
  std::string path, method;
  for (const auto& [p, item] : doc.at("paths").as_object()) {
    for (const auto& [m, o] : item.as_object()) {
      if (o.is_object() && o.as_object().contains("operationId") &&
          o.as_object().at("operationId").as_string() == "ServiceGet") {
        op = &o.as_object();
        path = std::string(p);
        method = std::string(m);
      }
    }
  }
  REQUIRE(op != nullptr);
  auto r = run({"service", "get", "--help"});
  CHECK(r.status == 0);
  INFO(r.out);
  CHECK(r.out.find(std::string(op->at("summary").as_string())) != std::string::npos);
  for (auto& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  CHECK(r.out.find(method + " " + base + path) != std::string::npos);
  CHECK(r.out.find("operationId ServiceGet") != std::string::npos);
  // Every parameter, as --kebab-name, with "(required)" exactly for the required ones.
  std::vector<json::value> params;
  if (auto* ps = op->if_contains("parameters"))
    for (const auto& p : ps->as_array()) params.push_back(p);
  if (auto* ps = doc.at("paths").as_object().at(path).as_object().if_contains("parameters"))
    for (const auto& p : ps->as_array()) params.push_back(p);
  REQUIRE(!params.empty());
  for (const auto& pv : params) {
    const json::object* p = &pv.as_object();
    if (p->contains("$ref")) {
      std::string ref(p->at("$ref").as_string());
      p = &doc.at("components").as_object().at("parameters").as_object().at(ref.substr(ref.rfind('/') + 1)).as_object();
    }
    std::string name(p->at("name").as_string());
    for (auto& ch : name)
      if (ch == '_') ch = '-';
    auto at_line = r.out.find("\n  --" + name + " ");
    INFO(name);
    REQUIRE(at_line != std::string::npos);
    auto line = r.out.substr(at_line + 1, r.out.find('\n', at_line + 1) - at_line - 1);
    bool required = p->at("in").as_string() == "path" || (p->contains("required") && p->at("required").as_bool());
    CHECK((line.find("(required)") != std::string::npos) == required);
  }
  // A deprecated operation says so.
  auto dep = run({"service", "pg-service-query-statistics-deprecated", "--help"});
  if (dep.status == 0) CHECK(dep.out.find("DEPRECATED") != std::string::npos);
  auto area = run({"service", "--help"});
  CHECK(area.status == 0);
  CHECK(area.out.find("  get ") != std::string::npos);
  auto top = run({"--help"});
  CHECK(top.status == 0);
  CHECK(top.out.find("Exit status:") != std::string::npos);
  CHECK(top.out.find("4  timeout") != std::string::npos);
}

TEST_CASE("--help of an operation with a JSON body lists the body's members, types, required ones marked") {
  std::ifstream f(AIVEN_OPENAPI_PATH);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto doc = parse(text).as_object();
  const auto& schema = doc.at("components").as_object().at("schemas").as_object().at("ServiceCreateIn").as_object();
  std::vector<std::string> required;
  if (auto* req = schema.if_contains("required"))
    for (const auto& n : req->as_array()) required.emplace_back(n.as_string());
  auto r = run({"service", "create", "--help"});
  CHECK(r.status == 0);
  INFO(r.out);
  auto section = r.out.find("\nBody members (--body JSON object):\n");
  REQUIRE(section != std::string::npos);
  const std::string body = r.out.substr(section);
  const auto& props = schema.at("properties").as_object();
  REQUIRE(props.size() > 5);
  std::size_t typed = 0;
  for (const auto& [name, ps] : props) {
    INFO(std::string(name));
    auto at = body.find("\n  " + std::string(name) + " ");
    REQUIRE(at != std::string::npos);
    std::string line = body.substr(at + 1, body.find('\n', at + 1) - at - 1);
    const auto& p = ps.as_object();
    const bool nullable = p.contains("nullable") && p.at("nullable").as_bool();
    const bool req = std::find(required.begin(), required.end(), std::string(name)) != required.end() && !nullable;
    CHECK((line.find("(required)") != std::string::npos) == req);
    if (auto* t = p.if_contains("type"); t && t->is_string() && !p.contains("enum")) {
      const std::string type(t->as_string());
      const std::string expect = type == "array" ? " array of " : type == "integer" ? " integer " : type == "boolean" ? " boolean "
                                 : type == "string" ? " string " : type == "number" ? " number " : "";
      if (!expect.empty()) {
        CHECK((line + " ").find(expect) != std::string::npos);
        ++typed;
      }
    }
  }
  CHECK(typed >= 4);
  CHECK(body.find("\n  service_type ") != std::string::npos);
  // An operation without a body has no such section.
  CHECK(run({"service", "get", "--help"}).out.find("Body members") == std::string::npos);
}

TEST_CASE("--version") {
  auto r = run({"--version"});
  CHECK(r.status == 0);
  CHECK(r.out.rfind("aiven ", 0) == 0);
}

TEST_CASE("a path parameter that is empty, '.' or '..' is a usage error naming the option; nothing sent") {
  aiven::sim::simulator sim;
  for (std::string bad : {"..", ".", ""}) {
    CAPTURE(bad);
    auto r = run(at(sim, {"service", "user-delete", "--project", "demo", "--service-name", "pg", "--service-username", bad}));
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("invalid value for --service-username") != std::string::npos);
    CHECK(r.err.find("must not be empty, '.' or '..'") != std::string::npos);
  }
  // In a batch line too, named as the line names it.
  auto b = run(at(sim, {"batch"}), R"({"op":"ServiceUserDelete","params":{"project":"demo","service_name":"..","service_username":"u"}})" "\n");
  INFO(b.out << b.err);
  CHECK(b.out.find("parameter service_name") != std::string::npos);
  CHECK(sim.requests().empty());
}

TEST_CASE("-v shows credential path parameters as [REDACTED]") {
  aiven::sim::simulator sim;
  auto r = run(at(sim, {"-v", "users", "user-password-reset", "--verification-code", "S3CRET-CODE", "--body",
                        R"({"new_password":"x"})"}));
  INFO(r.err);
  CHECK(r.err.find("POST /v1/user/password_reset/[REDACTED] ") != std::string::npos);
  CHECK(r.err.find("S3CRET-CODE") == std::string::npos);
  auto recorded = sim.requests();
  REQUIRE(recorded.size() == 1);
  CHECK(recorded[0].target == "/v1/user/password_reset/S3CRET-CODE");  // sent as given, shown redacted
}

TEST_CASE("aiven wait service-running / service-deleted: exit 0 with the state, 4 at the deadline, 2 for usage") {
  aiven::sim::simulator sim({.service_ready_delay = 400ms});
  auto created = run(at(sim, {"service", "create", "--project", "demo", "--body",
                              R"({"service_name":"pgw","service_type":"pg","plan":"hobbyist"})"}));
  INFO(created.err);
  REQUIRE(created.status == 0);
  // The deadline first: 150 ms is not enough for a service that needs 400 ms.
  auto late = run(at(sim, {"wait", "service-running", "--project", "demo", "--service-name", "pgw", "--timeout", "150ms",
                           "--interval", "50ms"}));
  CHECK(late.status == 4);
  CHECK(late.err.find("last state seen: REBUILDING") != std::string::npos);
  CHECK(late.out.empty());
  CHECK(late.err.find("aiven: service demo/pgw") == std::string::npos);  // no progress lines: stderr is not a terminal
  auto ok = run(at(sim, {"wait", "service-running", "--project", "demo", "--service-name", "pgw", "--timeout", "20m",
                         "--interval", "50ms", "--max-interval", "100ms"}));
  INFO(ok.err);
  CHECK(ok.status == 0);
  auto v = parse(ok.out);
  CHECK(v.as_object().at("state").as_string() == "RUNNING");
  CHECK(v.as_object().at("polls").as_int64() >= 1);

  CHECK(run(at(sim, {"service", "delete", "--project", "demo", "--service-name", "pgw"})).status == 0);
  auto gone = run(at(sim, {"wait", "service-deleted", "--project", "demo", "--service-name", "pgw", "--interval", "50ms"}));
  CHECK(gone.status == 0);

  auto missing = run(at(sim, {"wait", "service-running", "--project", "demo", "--service-name", "nope"}));
  CHECK(missing.status == 1);  // 404 while waiting for RUNNING
  sim.clear_requests();
  auto usage = run(at(sim, {"wait", "kafka-topic-active", "--project", "demo", "--service-name", "k"}));
  CHECK(usage.status == 2);
  CHECK(usage.err.find("needs --topic-name") != std::string::npos);
  CHECK(run(at(sim, {"wait", "no-such-thing"})).status == 2);
  CHECK(run(at(sim, {"wait", "service-running", "--project", "demo", "--service-name", "x", "--interval", "soon"})).status == 2);
  CHECK(sim.requests().empty());
  auto help = run({"wait", "--help"});
  CHECK(help.status == 0);
  for (auto w : {"service-running", "service-deleted", "service-restored", "vpc-active", "vpc-peering",
                 "kafka-topic-active", "connector-running", "integration-active", "first-backup"})
    CHECK(help.out.find(w) != std::string::npos);
}

TEST_CASE("--dry-run prints the request, secrets redacted, and sends nothing; --fields selects members") {
  aiven::sim::simulator sim;
  auto dry = run(at(sim, {"--dry-run", "service", "create", "--project", "demo", "--body",
                          R"({"service_name":"pgd","service_type":"pg","plan":"hobbyist","user_config":{"admin_password":"hunter2"}})"}));
  INFO(dry.err);
  CHECK(dry.status == 0);
  CHECK(sim.requests().empty());
  auto v = parse(dry.out);
  CHECK(v.as_object().at("method").as_string() == "POST");
  CHECK(v.as_object().at("url").as_string() == sim.base_url() + "/v1/project/demo/service");
  CHECK(dry.out.find(sim.token()) == std::string::npos);
  CHECK(dry.out.find("hunter2") == std::string::npos);
  CHECK(v.as_object().at("body").as_object().at("service_name").as_string() == "pgd");
  // A credential in the path is redacted in the printed URL too.
  auto code = run(at(sim, {"--dry-run", "users", "user-password-reset", "--verification-code", "S3CRET-CODE", "--body",
                           R"({"new_password":"x"})"}));
  CHECK(code.status == 0);
  CHECK(code.out.find("S3CRET-CODE") == std::string::npos);
  CHECK(code.out.find("/v1/user/password_reset/[REDACTED]") != std::string::npos);
  CHECK(sim.requests().empty());

  REQUIRE(run(at(sim, {"service", "create", "--project", "demo", "--body",
                       R"({"service_name":"pgf","service_type":"pg","plan":"hobbyist"})"})).status == 0);
  auto one = run(at(sim, {"service", "get", "--project", "demo", "--service-name", "pgf", "--fields", "service_name"}));
  CHECK(one.status == 0);
  CHECK(one.out == "pgf\n");  // a bare value: no jq needed
  auto several = run(at(sim, {"service", "get", "--project", "demo", "--service-name", "pgf", "--fields",
                              "service_name,plan,no.such"}));
  auto o = parse(several.out);
  CHECK(o.as_object().at("service_name").as_string() == "pgf");
  CHECK(o.as_object().at("plan").as_string() == "hobbyist");
  CHECK(o.as_object().at("no.such").is_null());
  auto list = run(at(sim, {"service", "list", "--project", "demo", "--fields", "service_name"}));
  CHECK(list.out.find("pgf\n") != std::string::npos);
  CHECK(run(at(sim, {"service", "list", "--project", "demo", "--fields", "a,,b"})).status == 2);
}

TEST_CASE("a 401 with no token anywhere says so") {
  aiven::sim::simulator sim;
  std::string ca = sim.write_ca_file(temp_dir());
  auto r = run({"--url", sim.base_url(), "--ca-file", ca, "--retries", "0", "project", "list"});
  CHECK(r.status == 1);
  CHECK(r.err.find("no token: AIVEN_TOKEN unset and no credentials file") != std::string::npos);
  // With a token that is wrong, the server's answer only.
  auto wrong = run({"--url", sim.base_url(), "--ca-file", ca, "--retries", "0", "--token", "bad", "project", "list"});
  CHECK(wrong.status == 1);
  CHECK(wrong.err.find("no token") == std::string::npos);
  // AIVEN_AUTH_TOKEN and AIVEN_CA_CERT are read as Aiven's other tools read them.
  auto env_ok = run({"--url", sim.base_url(), "--retries", "0", "project", "list"}, "",
                    {"AIVEN_AUTH_TOKEN=" + sim.token(), "AIVEN_CA_CERT=" + ca});
  INFO(env_ok.err);
  CHECK(env_ok.status == 0);
}

TEST_CASE("--if-exists=get: a create that finds the resource existing prints it; another 409 still fails") {
  aiven::sim::simulator sim({.service_ready_delay = 0ms});
  const std::string body = R"({"service_name":"k1","service_type":"kafka","plan":"business-4"})";
  auto first = run(at(sim, {"service", "create", "--project", "demo", "--if-exists=get", "--body", body}));
  INFO(first.err);
  CHECK(first.status == 0);
  CHECK(first.err.empty());
  auto plain = run(at(sim, {"service", "create", "--project", "demo", "--body", body}));
  CHECK(plain.status == 1);  // without the flag: the 409
  auto again = run(at(sim, {"service", "create", "--project", "demo", "--if-exists", "get", "--body", body}));
  INFO(again.err);
  CHECK(again.status == 0);
  CHECK(again.err.find("ServiceCreate answered 409") != std::string::npos);
  CHECK(parse(again.out).as_object().at("service_name").as_string() == "k1");

  const std::string topic = R"({"topic_name":"orders","partitions":3})";
  REQUIRE(run(at(sim, {"service-kafka", "topic-create", "--project", "demo", "--service-name", "k1", "--body", topic})).status == 0);
  auto t = run(at(sim, {"service-kafka", "topic-create", "--project", "demo", "--service-name", "k1", "--if-exists=get",
                        "--body", topic}));
  INFO(t.err);
  CHECK(t.status == 0);
  CHECK(parse(t.out).as_object().at("topic_name").as_string() == "orders");

  const std::string user = R"({"username":"app"})";
  REQUIRE(run(at(sim, {"service", "user-create", "--project", "demo", "--service-name", "k1", "--body", user})).status == 0);
  auto u = run(at(sim, {"service", "user-create", "--project", "demo", "--service-name", "k1", "--if-exists=get",
                        "--body", user}));
  CHECK(u.status == 0);
  CHECK(parse(u.out).as_object().at("username").as_string() == "app");

  // A topic being deleted: kafka_topic_queued_for_deletion is another conflict.
  sim.set_service_ready_delay(std::chrono::hours(1));
  REQUIRE(run(at(sim, {"service-kafka", "topic-delete", "--project", "demo", "--service-name", "k1", "--topic-name",
                       "orders"})).status == 0);
  auto gone = run(at(sim, {"service-kafka", "topic-create", "--project", "demo", "--service-name", "k1",
                           "--if-exists=get", "--body", topic}));
  CHECK(gone.status == 1);
  CHECK(gone.err.find("kafka_topic_queued_for_deletion") != std::string::npos);
  // Only for the creates it knows; a bad value is a usage error.
  CHECK(run(at(sim, {"project", "list", "--if-exists=get"})).status == 2);
  CHECK(run(at(sim, {"service", "create", "--project", "demo", "--if-exists=maybe", "--body", body})).status == 2);
}

TEST_CASE("aiven service logs: every entry past 500 in order; --follow picks up new ones until --timeout") {
  aiven::sim::simulator sim;
  sim.seed(R"({"projects":[{"project_name":"demo","services":[{"service_name":"pg1","service_type":"pg","log_entries":1200}]}]})");
  auto r = run(at(sim, {"service", "logs", "--project", "demo", "--service-name", "pg1"}));
  INFO(r.err);
  CHECK(r.status == 0);
  auto out = lines(r.out);
  REQUIRE(out.size() == 1203);
  for (std::size_t i = 0; i < out.size(); i += 97)
    CHECK(parse(out[i]).as_object().at("msg").as_string() == "entry " + std::to_string(i) + " of demo/pg1");
  CHECK(parse(out.back()).as_object().at("msg").as_string() == "entry 1202 of demo/pg1");
  CHECK(sim.executed("POST", "/v1/project/demo/service/pg1/logs") == 4);

  // --follow: entries added while it runs are printed; --timeout ends it with exit 0.
  std::thread later([&sim] {
    std::this_thread::sleep_for(400ms);
    sim.add_service_logs("demo", "pg1", 2);
  });
  auto f = run(at(sim, {"service", "logs", "--project", "demo", "--service-name", "pg1", "--follow", "--interval", "50ms",
                        "--timeout", "1500ms"}));
  later.join();
  INFO(f.err);
  CHECK(f.status == 0);
  auto fl = lines(f.out);
  REQUIRE(fl.size() == 1205);
  CHECK(parse(fl.back()).as_object().at("msg").as_string() == "entry 1204 of demo/pg1");
  CHECK(run(at(sim, {"service", "logs", "--project", "demo"})).status == 2);  // --service-name missing
  CHECK(run(at(sim, {"service", "logs", "--project", "demo", "--service-name", "pg1", "--until", "10m", "--follow"}))
            .status == 2);
  CHECK(run({"service", "logs", "--help"}).out.find("--follow") != std::string::npos);
}
