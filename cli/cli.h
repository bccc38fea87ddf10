/* cli.h: what the command's files share (git's builtin.h): the global options every command is given, the commands'
 * entry points (one name, one function, one signature: main.c's commands[]), and the helpers several families use. */
#ifndef TBTWARN_CLI_H
#define TBTWARN_CLI_H

#include "archive.h"
#include "buf.h"
#include "classify.h"
#include "ini.h"

#include <ev.h>
#include <jansson.h>

#define VERSION "0.1.0"

/* What every command is given: the global options. */
struct cli {
	const char *data, *config;
};

/* The commands, one file per family: cmd_archive.c, cmd_crawl.c, cmd_translate.c, cmd_alert.c, cmd_service.c,
 * cmd_user.c. */
int cmd_import(const struct cli *cl, int argc, char **argv);
int cmd_search(const struct cli *cl, int argc, char **argv);
int cmd_show(const struct cli *cl, int argc, char **argv);
int cmd_reindex(const struct cli *cl, int argc, char **argv);
int cmd_categories(const struct cli *cl, int argc, char **argv);
int cmd_codes(const struct cli *cl, int argc, char **argv);
int cmd_reclassify(const struct cli *cl, int argc, char **argv);
int cmd_eval(const struct cli *cl, int argc, char **argv);
int cmd_translate(const struct cli *cl, int argc, char **argv);
int cmd_crawl(const struct cli *cl, int argc, char **argv);
int cmd_sources(const struct cli *cl, int argc, char **argv);
int cmd_fetch(const struct cli *cl, int argc, char **argv);
int cmd_subscriber(const struct cli *cl, int argc, char **argv);
int cmd_subscription(const struct cli *cl, int argc, char **argv);
int cmd_alert(const struct cli *cl, int argc, char **argv);
int cmd_outbox(const struct cli *cl, int argc, char **argv);
int cmd_serve(const struct cli *cl, int argc, char **argv);
int cmd_run(const struct cli *cl, int argc, char **argv);
int cmd_doctor(const struct cli *cl, int argc, char **argv);
int cmd_backup(const struct cli *cl, int argc, char **argv);
int cmd_user(const struct cli *cl, int argc, char **argv);

/* The usage convention: why NULL prints the command's usage lines on stdout and returns 0 (--help); otherwise
 * "tbtwarn: CMD: WHY" (unless why is "") and the lines on stderr, and returns 2, the exit status of a usage error. */
int cli_usage(const char *cmd, const char *why);

/* The category table and risk weights in force (set up in main, used by every command that indexes). */
extern struct catalog *g_cats;
extern struct risk_config g_risk;

/* Opens the archive with the category table and risk weights in force. */
int open_archive(const char *data, enum archive_mode mode, struct archive **a, char *err, size_t errlen);
/* For commands that write only the store (subscribers, subscriptions, the outbox): they work beside a running
 * service, which holds the index's write lock; then the index is opened read-only. */
int open_archive_shared(const char *data, struct archive **a, char *err, size_t errlen);
/* The configuration: FILE, else $TBTWARN_CONFIG, else the built-in one; exits with the reason when unreadable. */
struct ini *load_config(const char *path);
/* The terminal's width in columns (80 when not a terminal). */
int term_cols(void);
/* A JSON object's string member, or "". */
const char *jstr(const json_t *o, const char *k);
/* Appends the strings of a JSON array to b, sep between them. */
void join_array(struct buf *b, const json_t *a, const char *sep);

/* A parse sink's rejection, on stderr: "tbtwarn: NAME: WHERE: rejected: MSG". */
void print_reject(void *arg, const char *name, const char *where, const char *msg);
/* SIGINT and SIGTERM of the long-running commands: the loop stops. */
void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents);
/* The built-in configuration (config/tbtwarn.ini, embedded at build time). */
extern const char tbt_default_ini[];

#endif
