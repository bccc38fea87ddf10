/* test_subs.c: unsubscribe and manage tokens are HMAC-SHA256 (the links in every e-mail already sent depend on it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "subs.h"

#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

/* The token as the first SUBS_TOKEN_LEN hex digits of OpenSSL's one-shot HMAC, computed independently here. */
static void reference(const char *secret, const char *purpose, long long id, char *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	char msg[96];
	int n = snprintf(msg, sizeof(msg), "%s:%lld", purpose, id);
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, (size_t)n, mac, &len);
	for (unsigned i = 0; i < SUBS_TOKEN_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

static void tokens_are_hmac_sha256_whatever_the_order_of_secrets(void **state)
{
	static const char *const secrets[] = {"s3cret-of-the-service", "another", "s3cret-of-the-service", "x", "another"};
	static const char *const purposes[] = {"unsubscribe", "manage", "confirm"};
	(void)state;
	for (size_t s = 0; s < sizeof(secrets) / sizeof(secrets[0]); s++)
		for (size_t p = 0; p < 3; p++)
			for (long long id = 1; id < 2000; id += 333) {
				char got[SUBS_TOKEN_LEN + 1], want[SUBS_TOKEN_LEN + 1];
				subs_token(secrets[s], purposes[p], id, got);
				reference(secrets[s], purposes[p], id, want);
				assert_string_equal(got, want);
				assert_true(subs_token_ok(secrets[s], purposes[p], id, want));
				assert_false(subs_token_ok(secrets[s], purposes[p], id + 1, want));
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tokens_are_hmac_sha256_whatever_the_order_of_secrets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
