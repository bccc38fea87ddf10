/* comments.h: what the province sends back: a comment on a notification, drafted in English in the structure of
 * the WTO's guidance on comments (to the notifying member's enquiry point, general then specific comments, the firms'
 * concerns summarised, named only with their consent), its status (draft, sent on, answered on), and the candidates
 * for specific trade concerns (STCs) at the next TBT or SPS Committee meeting. The status table is this module's. */
#ifndef TBTWARN_COMMENTS_H
#define TBTWARN_COMMENTS_H

#include "archive.h"
#include "store.h"
#include "buf.h"

#include <jansson.h>

/* The draft for a notification (show: archive_show's JSON; impact: impact_aggregate's): {to, subject, text, status,
 * sent_on, answered_on, comment_deadline}. The text is the one saved, else made from the record and the reports. */
json_t *comment_get(struct store *st, const json_t *show, const json_t *impact);
/* Saves the status (draft, sent, answered), its dates (YYYY-MM-DD) and, when given, the edited text: 0, or -EINVAL
 * with why. */
int comment_put(struct store *st, const char *symbol, const char *status, const char *sent_on, const char *answered_on,
		const char *text, const char *author, char *err, size_t errlen);
/* The status row alone: {status, sent_on, answered_on} or NULL. */
json_t *comment_status(struct store *st, const char *symbol);
/* The notifications firms reported on, for officials: [{symbol, member, title_zh, comment_deadline, days_left,
 * reports, affected, export_value_cny, comment (none, draft, sent, answered), comment_sent_on}], most affected first,
 * then the soonest open deadline (the dashboard's list, and what staff reminders are about). stc: only the candidates
 * for a specific trade concern (affected firms, and the deadline passed or the comment sent without an answer), each
 * with its concerns. */
json_t *staff_list(struct archive *a, int stc);
/* The service's response-time record over the notifications distributed on or after since (YYYY-MM-DD): {since,
 * first_alert, analysis, comment}, each {count, median_days, p90_days, max_days} (null days when count is 0): from
 * distribution to the first alert sent, to the analysis first published, to the comment sent. */
json_t *response_summary(struct archive *a, const char *since);
/* A Word-compatible document (HTML that Word and WPS open as a .doc) of the draft. */
void comment_doc(const json_t *draft, struct buf *out);

#endif
