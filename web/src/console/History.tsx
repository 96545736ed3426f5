// A coupon's edits (GET /coupons/{id}/history), newest first: who, when (in the coupon's zone), which fields,
// before and after (secrets only as "changed").
import { useState } from "react";
import { api } from "../lib/api";
import { formatTime } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { ErrorMessage, Loading, useLoad } from "../lib/ui";
import { readPages } from "./display";
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
      {loaded.loading && !loaded.data && <Loading />}
      {Boolean(loaded.error) && <ErrorMessage error={loaded.error} onRetry={loaded.reload} />}
      {loaded.data?.items.length === 0 && <p>{t("console.history.none")}</p>}
      {Boolean(loaded.data?.items.length) && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("console.history.version")}</th>
                <th scope="col">{t("console.history.when")}</th>
                <th scope="col">{t("console.history.who")}</th>
                <th scope="col">{t("console.history.fields")}</th>
                <th scope="col">{t("console.history.before")}</th>
                <th scope="col">{t("console.history.after")}</th>
              </tr>
            </thead>
            <tbody>
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
            </tbody>
          </table>
        </div>
      )}
      {loaded.data?.next && (
        <button type="button" disabled={loaded.loading} onClick={() => setPages((p) => p + 1)}>
          {t("common.more")}
        </button>
      )}
    </section>
  );
}
