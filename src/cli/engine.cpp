// The command line tool's engine: an operation descriptor of the generated
// table (generated/operations.cpp) and the user's values -> a raw request for
// the library's raw layer; a response -> the result or Aiven's error JSON.
#include "engine.hpp"
#include "table.hpp"

#include <aiven/client.hpp>
#include <aiven/diagnostics.hpp>
#include <aiven/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aiven::cli {

namespace json = boost::json;

const op_desc* find_operation(std::string_view area, std::string_view name) {
  for (const auto& op : operations())
    if (area == op.area && name == op.name) return &op;
  return nullptr;
}

const op_desc* find_operation_id(std::string_view id) {
  for (const auto& op : operations())
    if (id == op.operation_id) return &op;
  return nullptr;
}

const area_desc* find_area(std::string_view name) {
  for (const auto& a : areas())
    if (name == a.name) return &a;
  return nullptr;
}

namespace {

bool is_integer(std::string_view s) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

bool is_number(std::string_view s) {
  if (s.empty()) return false;
  std::string tmp(s);
  char* end = nullptr;
  double v = std::strtod(tmp.c_str(), &end);
  return end == tmp.c_str() + tmp.size() && std::isfinite(v);
}

std::string enum_list(const char* const* values) {
  std::string s;
  for (auto p = values; p && *p; ++p) {
    if (!s.empty()) s += ", ";
    s += *p;
  }
  return s;
}

// "" when `value` fits the parameter's type, else the reason.
std::string check_value(const param_desc& p, param_type t, std::string_view value) {
  switch (t) {
    case param_type::integer:
      if (!is_integer(value)) return "expected an integer, got '" + std::string(value) + "'";
      break;
    case param_type::number:
      if (!is_number(value)) return "expected a number, got '" + std::string(value) + "'";
      break;
    case param_type::boolean:
      if (value != "true" && value != "false") return "expected true or false, got '" + std::string(value) + "'";
      break;
    case param_type::enumeration:
      if (p.enum_values) {
        for (auto v = p.enum_values; *v; ++v)
          if (value == *v) return {};
        return "expected one of " + enum_list(p.enum_values) + ", got '" + std::string(value) + "'";
      }
      break;
    case param_type::json: {
      boost::system::error_code ec;
      (void)json::parse(value, ec);
      if (ec) return "expected JSON, got '" + std::string(value) + "'";
      break;
    }
    case param_type::string:
    case param_type::array:
      break;
  }
  return {};
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return !f.bad();
}

std::string base_name(const std::string& path) {
  auto i = path.find_last_of('/');
  return i == std::string::npos ? path : path.substr(i + 1);
}

}  // namespace

std::optional<raw_request> build_request(const op_desc& op, const param_values& values, const body_input& body,
                                         std::string& error, naming names) {
  // Messages name what the user wrote: a command line option or a batch line's parameter.
  auto what = [&](const param_desc& p) {
    return names == naming::options ? std::string("option --") + p.option : std::string("parameter ") + p.name;
  };
  const std::string body_name = names == naming::options ? "--body" : "body";
  raw_request req;
  req.method = op.method;
  req.operation_id = op.operation_id;
  req.accept = op.accept;
  req.secret_segments = op.secret_segments;
  std::vector<std::pair<std::string, std::string>> form;
  for (const auto& p : op.parameters()) {
    auto it = values.find(p.option);
    if (it == values.end() || it->second.empty()) {
      if (p.required) {
        error = "missing required " + what(p);
        return std::nullopt;
      }
      continue;
    }
    const auto& vs = it->second;
    if (p.type != param_type::array && vs.size() > 1) {
      error = what(p) + " given more than once";
      return std::nullopt;
    }
    for (const auto& v : vs) {
      std::string why = check_value(p, p.type == param_type::array ? p.item_type : p.type, v);
      if (!why.empty()) {
        error = "invalid value for " + (names == naming::options ? std::string("--") + p.option : what(p)) + ": " + why;
        return std::nullopt;
      }
      // Behind a normalising hop, "" and ".." address the parent resource: refused before anything is sent.
      if (p.where == location::path && (v.empty() || v == "." || v == "..")) {
        error = "invalid value for " + (names == naming::options ? std::string("--") + p.option : what(p)) +
                ": a path parameter must not be empty, '.' or '..'";
        return std::nullopt;
      }
      if (p.where == location::query) req.query.emplace_back(p.name, v);
      if (p.where == location::form) form.emplace_back(p.name, v);
    }
  }
  // Path: substitute the placeholders.
  std::string_view tpl = op.path;
  while (!tpl.empty()) {
    auto open = tpl.find('{');
    if (open == std::string_view::npos) {
      req.path += tpl;
      break;
    }
    auto close = tpl.find('}', open);
    req.path += tpl.substr(0, open);
    std::string_view name = tpl.substr(open + 1, close - open - 1);
    for (const auto& p : op.parameters()) {
      if (p.where == location::path && name == p.name)
        req.path += boost::urls::encode(values.at(p.option).front(), boost::urls::unreserved_chars);
    }
    tpl.remove_prefix(close + 1);
  }
  // Body.
  switch (op.body) {
    case body_kind::none:
      if (body.text) {
        error = std::string(op.operation_id) + " takes no " + body_name;
        return std::nullopt;
      }
      break;
    case body_kind::json:
    case body_kind::json_optional: {
      if (!body.text) {
        if (op.body == body_kind::json) {
          error = names == naming::options ? "missing --body (JSON text, @FILE, or - for stdin)" : "missing body";
          return std::nullopt;
        }
        break;
      }
      boost::system::error_code ec;
      json::value v = json::parse(*body.text, ec);
      if (ec) {
        error = "invalid value for " + body_name + ": not JSON (" + ec.message() + ")";
        return std::nullopt;
      }
      if (!v.is_object() && !v.is_array()) {
        error = "invalid value for " + body_name + ": expected a JSON object";
        return std::nullopt;
      }
      req.body = json::serialize(v);
      req.content_type = "application/json";
      break;
    }
    case body_kind::raw:
      if (!body.text) {
        error = "missing " + body_name;
        return std::nullopt;
      }
      req.body = *body.text;
      req.content_type = op.body_media;
      break;
    case body_kind::multipart: {
      if (*op.file_field && !body.file_path) {
        error = names == naming::options ? "missing --file PATH" : "missing parameter file (a path)";
        return std::nullopt;
      }
      static constexpr std::string_view boundary = "aiven-cli-7f3c1e9a52b64d08";
      std::string b;
      for (const auto& [name, value] : form) {
        b += "--";
        b += boundary;
        b += "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
      }
      if (body.file_path) {
        std::string content;
        if (!read_file(*body.file_path, content)) {
          error = "cannot read file " + *body.file_path;
          return std::nullopt;
        }
        std::string fname = base_name(*body.file_path);
        std::erase_if(fname, [](char c) { return c == '"' || c == '\r' || c == '\n'; });
        b += "--";
        b += boundary;
        b += std::string("\r\nContent-Disposition: form-data; name=\"") + op.file_field + "\"; filename=\"" + fname +
             "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
        b += content;
        b += "\r\n";
      }
      b += "--";
      b += boundary;
      b += "--\r\n";
      req.body = std::move(b);
      req.content_type = std::string("multipart/form-data; boundary=") + std::string(boundary);
      break;
    }
  }
  if (op.body != body_kind::multipart && body.file_path) {
    error = std::string(op.operation_id) + " takes no file";
    return std::nullopt;
  }
  return req;
}

// ---- output ----------------------------------------------------------------------------------

namespace {

void pretty(std::string& out, const json::value& v, int indent) {
  auto pad = [&](int n) { out.append(static_cast<std::size_t>(n), ' '); };
  if (v.is_object() && !v.get_object().empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& kv : v.get_object()) {
      if (!first) out += ",\n";
      first = false;
      pad(indent + 2);
      out += json::serialize(json::value(json::string(kv.key())));
      out += ": ";
      pretty(out, kv.value(), indent + 2);
    }
    out += '\n';
    pad(indent);
    out += '}';
  } else if (v.is_array() && !v.get_array().empty()) {
    out += "[\n";
    bool first = true;
    for (const auto& x : v.get_array()) {
      if (!first) out += ",\n";
      first = false;
      pad(indent + 2);
      pretty(out, x, indent + 2);
    }
    out += '\n';
    pad(indent);
    out += ']';
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::string format_json(const json::value& v, bool pretty_print) {
  if (!pretty_print) return json::serialize(v);
  std::string s;
  pretty(s, v, 0);
  return s;
}

std::optional<json::value> result_json(const op_desc& op, const raw_response& res) {
  if (op.response == response_kind::empty || res.body.empty()) return std::nullopt;
  if (op.response == response_kind::raw) return json::value(json::string(res.body));
  boost::system::error_code ec;
  json::value v = json::parse(res.body, ec);
  if (ec) return json::value(json::string(res.body));
  if (*op.unwrap && v.is_object()) {
    if (auto* m = v.get_object().if_contains(op.unwrap)) return *m;
  }
  return v;
}

int exit_code_of(const error_code& ec) {
  if (!ec) return exit_ok;
  if (ec.category() == aiven_category()) {
    switch (static_cast<errc>(ec.value())) {
      case errc::timeout: return exit_timeout;
      case errc::invalid_argument: return exit_usage;
      case errc::bad_response:
      case errc::body_too_large:
      case errc::connection_lost: return exit_transport;
      default: return exit_api;
    }
  }
  return exit_transport;
}

json::value error_json(const error_code& ec, const diagnostics& diag, const raw_response& res) {
  if (diag.http_status != 0 && !res.body.empty()) {
    boost::system::error_code pec;
    json::value v = json::parse(res.body, pec);
    if (!pec && v.is_object()) {
      if (!v.get_object().contains("status")) v.get_object()["status"] = diag.http_status;
      return v;
    }
  }
  std::string message = diag.message.empty() ? ec.message() : diag.message;
  if (!diag.client_message.empty()) message += ": " + diag.client_message;
  json::object item;
  item["message"] = message;
  item["status"] = diag.http_status;
  const char* kind = diag.http_status ? "http" : exit_code_of(ec) == exit_timeout ? "timeout" : "transport";
  item["error_code"] = kind;
  json::object o;
  o["message"] = message;
  o["errors"] = json::array{item};
  o["status"] = diag.http_status;
  return o;
}

}  // namespace aiven::cli
