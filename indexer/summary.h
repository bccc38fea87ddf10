/* summary.h: what a Chinese reader sees of a notification without any translation provider: a digest built from the
 * structured fields with our own tables, and Chinese for the texts the program itself writes in English. */
#ifndef TBT_SUMMARY_H
#define TBT_SUMMARY_H

#include "buf.h"
#include "record.h"

/* The WTO's objective (canonical English name) in the official Chinese wording, or NULL when we have none. */
const char *objective_zh(const char *en);

/*
 * The one-line Chinese digest of n (its inline dates already the measure's current ones), e.g.
 * "美国 · 技术法规草案 · 锂离子蓄电池、电动自行车 · 保护人类健康或安全 · 评议截止 2025-05-13（还剩23天）".
 * cats_zh: the Chinese names of its categories, most confident first (may be NULL); today: YYYY-MM-DD.
 */
void summary_zh(const struct notif *n, const struct strv *cats_zh, const char *today, struct buf *out);

/* What kind of document n is, in Chinese: 技术法规草案, 合格评定程序草案, 紧急措施, 卫生与植物卫生措施草案,
 * TBT通报补遗, 勘误, ... Static. */
const char *kind_zh(const struct notif *n);

/*
 * A date's English prose in Chinese ("Six months after publication" → "公布后6个月", "60 days from notification" →
 * "通报后60天", "To be determined" → "待定"). Returns out, or NULL when the wording is not one we know (then the
 * English stays, never a guess).
 */
const char *date_prose_zh(const char *en, char *out, size_t outlen);

#endif
