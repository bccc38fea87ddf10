/* fuzz_feed.c: libFuzzer target for the feed parser. */
#include "fuzz_common.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parse_sink sink = FUZZ_SINK;
	parse_feed(&sink, (const char *)data, size);
	return 0;
}
