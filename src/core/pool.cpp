// The production pool, instantiated once here (pool.hpp declares it extern).
#include "core/pool.hpp"

namespace aiven::detail {

template class basic_connection_pool<connection, clock, asio::steady_timer>;

}  // namespace aiven::detail
