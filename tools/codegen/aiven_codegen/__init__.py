"""aiven-cpp code generator: OpenAPI 3 document -> typed C++ API layer."""
