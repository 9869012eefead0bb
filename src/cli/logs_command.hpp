// `aiven service logs`: a service's log past the API's 500 entries a call, and --follow.
#pragma once

#include <aiven/client.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace aiven::cli {

/// The help of `aiven service logs`.
std::string logs_help();

/// Runs `aiven service logs`: `options` the --name value pairs that are not global options
/// (--project, --service-name, --since, --until, --interval); `follow` the --follow flag;
/// `deadline` the --timeout (with --follow: how long to follow). One entry a line on stdout:
/// compact JSON, or "TIME UNIT MESSAGE" when `text`. Throws std::invalid_argument for a usage error.
int run_logs(const std::vector<std::pair<std::string, std::string>>& options, const client_options& opts, bool follow,
             std::optional<std::chrono::milliseconds> deadline, bool text);

}  // namespace aiven::cli
