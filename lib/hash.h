/* hash.h: SHA-256 digests as lower-case hex, for raw documents and record contents (OpenSSL's libcrypto). */
#ifndef TBT_HASH_H
#define TBT_HASH_H

#include <stddef.h>

/* Writes the 64 hex digits and a NUL to out. */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
