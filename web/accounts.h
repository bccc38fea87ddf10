/* accounts.h: the people who work the service (not subscribers, who keep their signed links): users with a role,
 * passwords hashed with Argon2id (libsodium), sessions shared by every instance through the store, login throttling,
 * and the audit log of every change. The tables are this module's (its own step of the schema). */
#ifndef TBTWARN_ACCOUNTS_H
#define TBTWARN_ACCOUNTS_H

#include "store.h"

#include <jansson.h>
#include <stddef.h>

enum role { ROLE_ADMIN = 1, ROLE_ANALYST = 2, ROLE_TRANSLATOR = 4, ROLE_EXPERT = 8 };
#define ROLE_ANY (ROLE_ADMIN | ROLE_ANALYST | ROLE_TRANSLATOR | ROLE_EXPERT)

/* "admin", "analyst", "translator", "expert"; 0 for anything else. */
int role_from_name(const char *name);
const char *role_name(int role);

/* A user name: 1 to 64 letters, digits, '.', '-', '_' or '@' (no spaces, nothing a log or a header could misread). */
int accounts_name_ok(const char *name);

/* Adds a user (-EEXIST when the name is taken), sets a password, removes a user and every session of theirs
 * (-ENOENT when there is none). A password has at least 12 characters (-EINVAL with why). who: for the audit log. */
int accounts_user_add(struct store *st, const char *name, int role, const char *password, const char *categories,
		      const char *who, char *err, size_t errlen);
int accounts_user_passwd(struct store *st, const char *name, const char *password, const char *who, char *err,
			 size_t errlen);
int accounts_user_remove(struct store *st, const char *name, const char *who, char *err, size_t errlen);
/* Sets the name shown with a user's advice (display_name, NULL: unchanged) and the address reminders go to (email,
 * NULL: unchanged, "": none). 0, -ENOENT, or -EINVAL with why. */
int accounts_profile_check(const char *display_name, const char *email, char *err, size_t errlen);
int accounts_user_set(struct store *st, const char *name, const char *display_name, const char *email,
		      const char *who, char *err, size_t errlen);
/* [{name, role, categories, created_at, updated_at, display_name, email}], by name. */
json_t *accounts_user_list(struct store *st);
/* The users with one of roles (enum role's bits) and an address: [{name, email}]. */
json_t *accounts_emails(struct store *st, int roles);

/* A session: its token (sent as the cookie), the CSRF token every state-changing request must carry. */
#define ACCOUNTS_TOKEN_LEN 65
struct session {
	char token[ACCOUNTS_TOKEN_LEN], csrf[ACCOUNTS_TOKEN_LEN];
	char user[65];
	int role;
	char categories[256];
	char display[201]; /* the name shown with what they write (their user name when none was given) */
};

/*
 * Logs name in from client (an address): 0 with the new session in *s; -EACCES for a wrong name or password (the
 * same answer for both); -EAGAIN when too many failures came lately for this name or from this client (5 in 15
 * minutes), *retry_after the seconds to wait. Every outcome is in the audit log.
 */
int accounts_login(struct store *st, const char *name, const char *password, const char *client, struct session *s,
		   long *retry_after, char *err, size_t errlen);
/* The live session of a cookie's token: 0 and *s, or -ENOENT (unknown, expired, or its user removed). */
int accounts_session(struct store *st, const char *token, struct session *s);
void accounts_logout(struct store *st, const char *token);

/* The audit log: who did what to what, when. */
void accounts_audit(struct store *st, const char *who, const char *action, const char *target, const char *detail);
/* The newest limit entries: [{at, who, action, target, detail}]. */
json_t *accounts_audit_json(struct store *st, int limit);

#endif
