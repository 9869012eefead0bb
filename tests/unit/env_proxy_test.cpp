// client_options::from_env (credentials like the avn CLI, proxy variables),
// proxy URLs and NO_PROXY matching.
#include "core/url.hpp"

#include <aiven/client.hpp>

#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

using namespace aiven;
namespace fs = std::filesystem;

namespace {

// Sets or unsets variables for one scope and restores them after.
class scoped_env {
 public:
  scoped_env(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (auto [k, v] : vars) {
      const char* old = std::getenv(k);
      saved_.push_back({k, old ? std::optional<std::string>(old) : std::nullopt});
      if (v)
        ::setenv(k, v, 1);
      else
        ::unsetenv(k);
    }
  }
  ~scoped_env() {
    for (auto& [k, v] : saved_) {
      if (v)
        ::setenv(k.c_str(), v->c_str(), 1);
      else
        ::unsetenv(k.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

const std::initializer_list<std::pair<const char*, const char*>> clean = {
    {"AIVEN_TOKEN", nullptr}, {"AIVEN_AUTH_TOKEN", nullptr}, {"AIVEN_CA_CERT", nullptr},
    {"AIVEN_CREDENTIALS_FILE", nullptr}, {"AIVEN_WEB_URL", nullptr},
    {"HTTPS_PROXY", nullptr}, {"https_proxy", nullptr},           {"NO_PROXY", nullptr},
    {"no_proxy", nullptr}};

fs::path temp_dir() {
  auto d = fs::temp_directory_path() / ("aiven-env-test-" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

}  // namespace

TEST_SUITE("unit.env") {
  TEST_CASE("AIVEN_AUTH_TOKEN after AIVEN_TOKEN, before the credentials file; AIVEN_CA_CERT is the CA file") {
    auto dir = temp_dir();
    scoped_env base(clean);
    scoped_env home({{"HOME", dir.c_str()}});
    write(dir / ".config/aiven/aiven-credentials.json", R"({"auth_token": "from-home"})");
    {
      scoped_env a({{"AIVEN_AUTH_TOKEN", "from-auth-token"}, {"AIVEN_CA_CERT", "/etc/ssl/aiven-ca.pem"}});
      auto o = client_options::from_env();
      CHECK(o.token == "from-auth-token");
      CHECK(o.ca_file == "/etc/ssl/aiven-ca.pem");
      scoped_env t({{"AIVEN_TOKEN", "from-token"}});
      CHECK(client_options::from_env().token == "from-token");
    }
    CHECK(client_options::from_env().token == "from-home");
    CHECK(client_options::from_env().ca_file.empty());
    fs::remove_all(dir);
  }

  TEST_CASE("token: AIVEN_TOKEN, else AIVEN_CREDENTIALS_FILE, else ~/.config/aiven") {
    auto dir = temp_dir();
    scoped_env base(clean);
    scoped_env home({{"HOME", dir.c_str()}});
    CHECK(client_options::from_env().token.empty());  // no file: no token, no error
    CHECK(client_options::from_env().base_url == "https://api.aiven.io");

    write(dir / ".config/aiven/aiven-credentials.json", R"({"auth_token": "from-home", "user_email": "a@b"})");
    CHECK(client_options::from_env().token == "from-home");

    write(dir / "other.json", R"({"auth_token": "from-file"})");
    {
      scoped_env f({{"AIVEN_CREDENTIALS_FILE", (dir / "other.json").c_str()}});
      CHECK(client_options::from_env().token == "from-file");
      scoped_env t({{"AIVEN_TOKEN", "from-env"}, {"AIVEN_WEB_URL", "https://example.test:8443"}});
      auto o = client_options::from_env();
      CHECK(o.token == "from-env");
      CHECK(o.base_url == "https://example.test:8443");
    }
    {
      scoped_env f({{"AIVEN_CREDENTIALS_FILE", (dir / "missing.json").c_str()}});
      CHECK_THROWS_AS(client_options::from_env(), std::invalid_argument);
    }
    write(dir / "bad.json", "auth_token = x");
    write(dir / "num.json", R"({"auth_token": 12})");
    for (auto name : {"bad.json", "num.json"}) {
      scoped_env f({{"AIVEN_CREDENTIALS_FILE", (dir / name).c_str()}});
      CHECK_THROWS_AS(client_options::from_env(), std::invalid_argument);
    }
    fs::remove_all(dir);
  }

  TEST_CASE("proxy variables: upper case first") {
    scoped_env base(clean);
    CHECK(client_options::from_env().proxy.empty());
    scoped_env lower({{"https_proxy", "http://lower:3128"}, {"no_proxy", "lower.example"}});
    CHECK(client_options::from_env().proxy == "http://lower:3128");
    CHECK(client_options::from_env().no_proxy == "lower.example");
    scoped_env upper({{"HTTPS_PROXY", "http://upper:3128"}, {"NO_PROXY", "upper.example"}});
    CHECK(client_options::from_env().proxy == "http://upper:3128");
    CHECK(client_options::from_env().no_proxy == "upper.example");
  }

  TEST_CASE("proxy URLs") {
    auto p = detail::parse_proxy_url("http://user:p%40ss@proxy.example:3128/");
    CHECK(p.host == "proxy.example");
    CHECK(p.port == "3128");
    CHECK(p.authorization == "Basic dXNlcjpwQHNz");  // base64("user:p@ss")
    p = detail::parse_proxy_url("10.0.0.1:8080");
    CHECK(p.host == "10.0.0.1");
    CHECK(p.port == "8080");
    CHECK(p.authorization.empty());
    CHECK(detail::parse_proxy_url("http://[::1]").port == "1080");
    CHECK(detail::parse_proxy_url("http://[::1]").host == "::1");
    CHECK_THROWS_AS(detail::parse_proxy_url("https://proxy:443"), std::invalid_argument);
    CHECK_THROWS_AS(detail::parse_proxy_url("http://proxy:3128/path"), std::invalid_argument);
    CHECK_THROWS_AS(detail::parse_proxy_url("http://"), std::invalid_argument);
    // A client with an unusable proxy refuses to start, like a bad base URL.
    boost::asio::io_context io;
    CHECK_THROWS_AS(client(io.get_executor(), client_options{.proxy = "socks5://x:1"}), std::invalid_argument);
  }

  TEST_CASE("NO_PROXY matching") {
    using detail::no_proxy_matches;
    CHECK(no_proxy_matches("*", "api.aiven.io"));
    CHECK(no_proxy_matches("aiven.io", "api.aiven.io"));
    CHECK(no_proxy_matches(".aiven.io", "api.aiven.io"));
    CHECK(no_proxy_matches("foo, api.aiven.io:443 ", "API.aiven.io"));
    CHECK(no_proxy_matches("127.0.0.1", "127.0.0.1"));
    CHECK(no_proxy_matches("[::1]:8443", "::1"));
    CHECK(no_proxy_matches("::1", "::1"));
    CHECK_FALSE(no_proxy_matches("", "api.aiven.io"));
    CHECK_FALSE(no_proxy_matches("en.io", "api.aiven.io"));   // not a suffix at a dot
    CHECK_FALSE(no_proxy_matches("aiven.io.evil", "aiven.io"));
    CHECK_FALSE(no_proxy_matches("127.0.0.2", "127.0.0.1"));
  }
}
