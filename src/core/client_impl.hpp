// The shared state behind aiven::client handles.
#pragma once

#include "core/pool.hpp"
#include "core/transport.hpp"
#include "core/url.hpp"

#include <aiven/client.hpp>

#include <boost/asio/ssl/context.hpp>

#include <mutex>
#include <optional>
#include <string>

namespace aiven::detail {

class client_impl {
 public:
  client_impl(asio::any_io_executor ex, client_options opts);

  const asio::any_io_executor& executor() const noexcept { return ex_; }
  const client_options& options() const noexcept { return opts_; }
  const base_url& url() const noexcept { return url_; }
  const std::string& authorization() const noexcept { return authorization_; }
  asio::ssl::context* ssl_context() noexcept { return ssl_ ? &*ssl_ : nullptr; }
  connection_pool& pool() noexcept { return pool_; }
  const endpoint_info& endpoint() const noexcept { return endpoint_; }

  /// The resolved addresses of the host, resolved once and cached.
  asio::awaitable<std::pair<error_code, tcp::resolver::results_type>> resolve();
  void forget_endpoints();

 private:
  asio::any_io_executor ex_;
  client_options opts_;
  base_url url_;
  std::optional<asio::ssl::context> ssl_;
  connection_pool pool_;
  std::string authorization_;
  endpoint_info endpoint_;
  std::mutex resolve_mu_;
  std::optional<tcp::resolver::results_type> endpoints_;
};

}  // namespace aiven::detail
