/* libsodium for the trust layer (Ed25519 signatures, SHA-256 digests). The functions are
 * plain C, so Swift calls them directly; this header only gathers them for both builds. */
#ifndef CEDGESODIUM_H
#define CEDGESODIUM_H
#include <sodium.h>
#endif
