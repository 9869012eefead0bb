// client_options::from_env: the environment and the files Aiven's own tools use.
#include <aiven/client.hpp>

#include <boost/json/parse.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>

namespace aiven {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The avn CLI's credentials file: {"auth_token": "...", "user_email": "..."}.
std::string token_from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("aiven: cannot read the credentials file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  auto v = boost::json::parse(ss.str(), ec);
  if (ec || !v.is_object())
    throw std::invalid_argument("aiven: the credentials file " + path + " is not a JSON object");
  auto* t = v.get_object().if_contains("auth_token");
  if (!t) return {};
  if (!t->is_string()) throw std::invalid_argument("aiven: auth_token in " + path + " is not a string");
  return std::string(t->get_string());
}

}  // namespace

client_options client_options::from_env() {
  client_options o;
  if (const char* t = env("AIVEN_TOKEN")) {
    o.token = t;
  } else if (const char* t2 = env("AIVEN_AUTH_TOKEN")) {  // the name Aiven's Terraform provider and operator read
    o.token = t2;
  } else if (const char* f = env("AIVEN_CREDENTIALS_FILE")) {
    if (!exists(f)) throw std::invalid_argument(std::string("aiven: AIVEN_CREDENTIALS_FILE names a missing file: ") + f);
    o.token = token_from_file(f);
  } else if (const char* home = env("HOME")) {
    std::string path = std::string(home) + "/.config/aiven/aiven-credentials.json";
    if (exists(path)) o.token = token_from_file(path);
  }
  if (const char* u = env("AIVEN_WEB_URL")) o.base_url = u;
  if (const char* ca = env("AIVEN_CA_CERT")) o.ca_file = ca;  // a PEM file of trusted CAs, as avn reads it
  if (const char* p = env("HTTPS_PROXY")) {
    o.proxy = p;
  } else if (const char* p2 = env("https_proxy")) {
    o.proxy = p2;
  }
  if (const char* n = env("NO_PROXY")) {
    o.no_proxy = n;
  } else if (const char* n2 = env("no_proxy")) {
    o.no_proxy = n2;
  }
  return o;
}

}  // namespace aiven
