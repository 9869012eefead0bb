// `aiven wait <what> [options]`: the library's waiters on the command line.
#pragma once

#include <aiven/client.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace aiven::cli {

/// "20m", "90s", "1500ms", "1h", or plain seconds ("2.5"); nullopt when it is none of those.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);

/// The help of `aiven wait`.
std::string wait_help();

/// Runs `aiven wait <what>`: `positional` is {"wait", what}, `options` the --name value pairs
/// that are not global options, `deadline` the --timeout (default 30 min). Prints the last
/// state as JSON on stdout; progress on stderr when stderr is a terminal.
/// Throws std::invalid_argument for a usage error.
int run_wait(const std::vector<std::string>& positional,
             const std::vector<std::pair<std::string, std::string>>& options, const client_options& opts,
             std::optional<std::chrono::milliseconds> deadline);

}  // namespace aiven::cli
