/* cmd_user.c: tbtwarn user: the accounts of the people who work the service (web/accounts.h). */
#include "cli.h"
#include "accounts.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The password, the first line of standard input (never an argument: those are seen by every user of the machine). */
static int read_password(char *out, size_t len)
{
	if (!fgets(out, (int)len, stdin))
		return -1;
	size_t n = strcspn(out, "\r\n");
	if (out[n] == '\0' && n == len - 1)
		return -1; /* longer than the buffer */
	out[n] = '\0';
	return 0;
}

int cmd_user(const struct cli *cl, int argc, char **argv)
{
	static const struct option opts[] = {{"role", required_argument, NULL, 'r'},
					     {"password-stdin", no_argument, NULL, 'p'},
					     {"categories", required_argument, NULL, 'c'},
					     {"json", no_argument, NULL, 'j'},
					     {"display-name", required_argument, NULL, 'n'},
					     {"email", required_argument, NULL, 'e'},
					     {0}};
	const char *action = argc > 1 ? argv[1] : NULL, *role = NULL, *cats = NULL, *display = NULL, *email = NULL;
	int c, pw_stdin = 0, as_json = 0;
	if (!action || !str_one_of(action, (const char *const[]){"add", "list", "remove", "passwd", "set", NULL}))
		return cli_usage(argv[0], action ? "unknown action (add, set, list, remove, passwd)"
						 : "say what to do: add, set, list, remove or passwd");
	/* The action's arguments, as a command's own (options anywhere among the words). */
	int sargc = argc - 1;
	char **sargv = argv + 1;
	optind = 0; /* glibc: a full restart, so that options may follow the NAME whatever main's scan said */
	while ((c = getopt_long(sargc, sargv, "", opts, NULL)) != -1) {
		if (c == 'r')
			role = optarg;
		else if (c == 'p')
			pw_stdin = 1;
		else if (c == 'c')
			cats = optarg;
		else if (c == 'j')
			as_json = 1;
		else if (c == 'n')
			display = optarg;
		else if (c == 'e')
			email = optarg;
		else
			return cli_usage(argv[0], "");
	}
	const char *name = optind < sargc ? sargv[optind] : NULL;
	int named = strcmp(action, "list") != 0;
	if ((named && (!name || optind + 1 != sargc)) || (!named && optind != sargc))
		return cli_usage(argv[0], named ? "give one user NAME" : "list takes no NAME");
	if (!strcmp(action, "add") && !role_from_name(role))
		return cli_usage(argv[0], "--role admin, analyst, translator or expert");
	if ((display || email) && strcmp(action, "add") && strcmp(action, "set"))
		return cli_usage(argv[0], "--display-name and --email go with add or set");
	if (!strcmp(action, "set") && !display && !email)
		return cli_usage(argv[0], "set what: --display-name TEXT and/or --email ADDRESS");
	if ((!strcmp(action, "add") || !strcmp(action, "passwd")) && !pw_stdin)
		return cli_usage(argv[0], "the password comes on standard input: --password-stdin");
	char password[1100] = "", err[ERRBUF_SIZE];
	if (pw_stdin && read_password(password, sizeof(password))) {
		fprintf(stderr, "tbtwarn: user %s: no password on standard input (one line, at most 1,024 characters)\n", action);
		return 2;
	}
	struct archive *a;
	if (open_archive_shared(cl->data, &a, err, sizeof(err))) {
		fprintf(stderr, "tbtwarn: %s\n", err);
		return 2;
	}
	struct store *st = archive_store(a);
	int rc = 0;
	if (!strcmp(action, "list")) {
		json_t *l = accounts_user_list(st);
		if (as_json) {
			json_dumpf(l, stdout, JSON_INDENT(2));
			fputc('\n', stdout);
		} else {
			size_t i;
			json_t *o;
			printf("%-24s %-11s %-20s %s\n", "USER", "ROLE", "CHANGED", "CATEGORIES");
			json_array_foreach(l, i, o)
			{
				printf("%-24s %-11s %-20s %s\n", jstr(o, "name"), jstr(o, "role"), jstr(o, "updated_at"),
				       jstr(o, "categories"));
			}
		}
		json_decref(l);
	} else {
		int r = accounts_profile_check(display, email, err, sizeof(err));
		r = r                               ? r
			: !strcmp(action, "add")    ? accounts_user_add(st, name, role_from_name(role), password, cats, "cli", err, sizeof(err))
			: !strcmp(action, "passwd") ? accounts_user_passwd(st, name, password, "cli", err, sizeof(err))
			: !strcmp(action, "set")    ? 0
						    : accounts_user_remove(st, name, "cli", err, sizeof(err));
		/* (The profile is checked first: a bad address adds nobody.) */
		if (!r && (display || email))
			r = accounts_user_set(st, name, display, email, "cli", err, sizeof(err));
		if (r) {
			fprintf(stderr, "tbtwarn: user %s: %s\n", action, err);
			rc = r == -EINVAL || r == -EEXIST || r == -ENOENT ? 1 : 2;
		} else {
			printf("%s %s\n", !strcmp(action, "add") ? "added" : !strcmp(action, "passwd") ? "password changed for"
					  : !strcmp(action, "set") ? "changed" : "removed",
			       name);
		}
	}
	explicit_bzero(password, sizeof(password));
	archive_free(a);
	return rc;
}
