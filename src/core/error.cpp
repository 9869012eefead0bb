#include <aiven/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/error.hpp>

#include <string>

namespace aiven {
namespace {

class category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "aiven"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::bad_request: return "bad request";
      case errc::unauthorized: return "unauthorized";
      case errc::forbidden: return "forbidden";
      case errc::not_found: return "not found";
      case errc::conflict: return "conflict";
      case errc::request_timeout: return "request timeout";
      case errc::rate_limited: return "rate limited";
      case errc::server_error: return "server error";
      case errc::not_implemented: return "not implemented (not ready yet)";
      case errc::http_error: return "unexpected HTTP status";
      case errc::bad_response: return "bad response";
      case errc::body_too_large: return "response body too large";
      case errc::timeout: return "timeout";
      case errc::invalid_argument: return "invalid argument";
      case errc::connection_lost: return "connection lost after the request was sent";
      case errc::proxy_auth_required: return "proxy authentication required";
      case errc::proxy_refused: return "the proxy refused the tunnel";
    }
    return "unknown aiven error";
  }
};

}  // namespace

const boost::system::error_category& aiven_category() noexcept {
  static const category_impl cat;
  return cat;
}

errc errc_from_status(unsigned status) noexcept {
  switch (status) {
    case 401: return errc::unauthorized;
    case 403: return errc::forbidden;
    case 404: return errc::not_found;
    case 408: return errc::request_timeout;
    case 409: return errc::conflict;
    case 429: return errc::rate_limited;
    case 501: return errc::not_implemented;
    default: break;
  }
  if (status >= 500 && status < 600) return errc::server_error;
  if (status >= 400 && status < 500) return errc::bad_request;
  return errc::http_error;
}

bool is_retryable(const error_code& ec) noexcept {
  if (ec.category() == aiven_category()) {
    switch (static_cast<errc>(ec.value())) {
      case errc::request_timeout:
      case errc::rate_limited:
      case errc::server_error:
      case errc::not_implemented:
      case errc::connection_lost:
        return true;
      default:
        return false;
    }
  }
  namespace ae = boost::asio::error;
  return ec == ae::connection_refused || ec == ae::connection_reset || ec == ae::connection_aborted ||
         ec == ae::broken_pipe || ec == ae::eof || ec == ae::host_unreachable || ec == ae::network_unreachable ||
         ec == ae::timed_out || ec == ae::try_again || ec == boost::asio::ssl::error::stream_truncated ||
         ec == boost::beast::http::error::partial_message || ec == boost::beast::http::error::end_of_stream;
}

bool is_fatal_for_connection(const error_code& ec) noexcept {
  if (!ec) return false;
  if (ec.category() == aiven_category()) {
    // A complete HTTP answer with an error status leaves the connection usable.
    switch (static_cast<errc>(ec.value())) {
      case errc::bad_request: case errc::unauthorized: case errc::forbidden: case errc::not_found:
      case errc::conflict: case errc::request_timeout: case errc::rate_limited: case errc::server_error:
      case errc::not_implemented: case errc::http_error:
        return false;
      default:
        return true;
    }
  }
  return true;
}

}  // namespace aiven
