// The library's version (CMakeLists.txt checks that project(VERSION) agrees).
#pragma once

#define AIVEN_VERSION_MAJOR 0
#define AIVEN_VERSION_MINOR 1
#define AIVEN_VERSION_PATCH 0
#define AIVEN_VERSION_STRING "0.1.0"
