// The models more than one area uses, with their tree decoders (see decode_service.cpp).
#define AIVEN_CODEC_TREE_REFERENCE 1
#include "api/common.cpp"
