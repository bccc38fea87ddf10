/* fuzz_wto.c: libFuzzer target for the wto parser. */
#include "fuzz_common.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parse_sink sink = FUZZ_SINK;
	parse_wto_text(&sink, (const char *)data, size);
	return 0;
}
