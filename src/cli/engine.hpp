// The command line tool's engine: operation table -> raw request, response -> output.
#pragma once

#include "table.hpp"

#include <aiven/client.hpp>
#include <aiven/diagnostics.hpp>
#include <aiven/error.hpp>

#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aiven::cli {

// Exit statuses (documented in `aiven --help`).
inline constexpr int exit_ok = 0;
inline constexpr int exit_api = 1;        // the API answered 4xx/5xx (after retries)
inline constexpr int exit_usage = 2;      // bad command line or input
inline constexpr int exit_transport = 3;  // connection, TLS or malformed-response failure
inline constexpr int exit_timeout = 4;    // the call's deadline expired

/// Option name (without "--") -> the values given, in order.
using param_values = std::map<std::string, std::vector<std::string>, std::less<>>;

struct body_input {
  std::optional<std::string> text;       // JSON (or raw) body text
  std::optional<std::string> file_path;  // multipart file
};

const op_desc* find_operation(std::string_view area, std::string_view name);
const op_desc* find_operation_id(std::string_view id);
const area_desc* find_area(std::string_view name);

/// How error messages name a parameter: `option --service-name` or `parameter service_name`.
enum class naming { options, parameters };

/// The request for `op`, or nullopt with `error` set (a usage error naming the option).
std::optional<raw_request> build_request(const op_desc& op, const param_values& values, const body_input& body,
                                         std::string& error, naming names = naming::options);

/// The result as the library's typed call would give it: the JSON unwrapped from its
/// single-member wrapper; a raw body as a JSON string; nullopt for no body.
std::optional<boost::json::value> result_json(const op_desc& op, const raw_response& res);

std::string format_json(const boost::json::value& v, bool pretty);

/// exit_api, exit_transport, exit_timeout or exit_usage for a failed call.
int exit_code_of(const error_code& ec);

/// Aiven's error body when the server sent one (with "status" added), else one in its shape
/// ({"message", "errors": [{"message", "status", "error_code"}], "status"}).
boost::json::value error_json(const error_code& ec, const diagnostics& diag, const raw_response& res);

/// The command line: argv -> exit status.
int run(int argc, char** argv);

}  // namespace aiven::cli
