/* fuzz_html.c: libFuzzer target for the html parser. */
#include "fuzz_common.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parse_sink sink = FUZZ_SINK;
	parse_html(&sink, (const char *)data, size, "//body", NULL);
	return 0;
}
