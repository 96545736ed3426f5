// A coupon's edits (GET /coupons/{id}/history), newest first: who, when (in the coupon's zone), which fields,
// before and after (secrets only as "changed").
import { useState } from "react";
import { api } from "../lib/api";
import { formatTime } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { useLoad } from "../lib/ui";
import { readPages } from "./display";
import { DataTable, ListStatus } from "./formParts";
import type { Coupon, HistoryEntry, Page } from "./types";

addMessages({
  en: {
    "console.history.title": "History",
    "console.history.none": "No edits yet.",
    "console.history.version": "Version",
    "console.history.when": "When",
    "console.history.who": "Who",
    "console.history.fields": "Fields",
    "console.history.before": "Before",
    "console.history.after": "After",
  },
  "zh-CN": {
    "console.history.title": "修改记录",
    "console.history.none": "还没有修改。",
    "console.history.version": "版本",
    "console.history.when": "时间",
    "console.history.who": "操作人",
    "console.history.fields": "字段",
    "console.history.before": "修改前",
    "console.history.after": "修改后",
  },
});

const show = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

export function History({ coupon }: { coupon: Coupon }) {
  const { t, locale } = useLocale();
  const [pages, setPages] = useState(1);
  const path = `/coupons/${encodeURIComponent(coupon.coupon_id)}/history`;
  const loaded = useLoad((signal) => readPages(pages, (token) => api<Page<HistoryEntry>>("GET", path, { query: { next_token: token }, signal })), [path, pages]);
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">{t("console.history.title")}</h2>
      <ListStatus load={loaded} empty={t("console.history.none")} />
      {Boolean(loaded.data?.items.length) && (
        <DataTable headers={[t("console.history.version"), t("console.history.when"), t("console.history.who"), t("console.history.fields"), t("console.history.before"), t("console.history.after")]}>
          {loaded.data?.items.map((entry) => (
            <tr key={entry.version}>
              <td>{entry.version}</td>
              <td>{formatTime(entry.at, coupon.time_zone, locale)}</td>
              <td>{entry.by}</td>
              <td>{entry.fields.join(", ")}</td>
              <td>
                <code className="json">{entry.fields.map((f) => `${f}: ${show(entry.before[f])}`).join("\n")}</code>
              </td>
              <td>
                <code className="json">{entry.fields.map((f) => `${f}: ${show(entry.after[f])}`).join("\n")}</code>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {loaded.data?.next && (
        <button type="button" disabled={loaded.loading} onClick={() => setPages((p) => p + 1)}>
          {t("common.more")}
        </button>
      )}
    </section>
  );
}
