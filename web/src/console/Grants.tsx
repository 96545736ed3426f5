// Issuing a coupon to many customers (POST/GET /coupons/{id}/grants): a list of ids, a tag of the customer
// directory or a segment; the jobs' status refreshes until they are done.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, ApiError, newIdempotencyKey } from "../lib/api";
import { formatTime } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { ErrorMessage, Field, useLoad } from "../lib/ui";
import { splitList } from "./couponForm";
import { DataTable, ListStatus } from "./formParts";
import type { Coupon, Grant, Page } from "./types";

addMessages({
  en: {
    "console.grants.title": "Grants",
    "console.grants.new": "Issue to customers",
    "console.grants.source": "Who",
    "console.grants.source.customer_ids": "These customer ids",
    "console.grants.source.tag": "Customers with a tag",
    "console.grants.source.segment_id": "A segment",
    "console.grants.customer_ids": "Customer ids",
    "console.grants.idsHint": "Separated by commas, spaces or lines (at most 10,000)",
    "console.grants.tag": "Tag",
    "console.grants.segment_id": "Segment id",
    "console.grants.submit": "Issue",
    "console.grants.required": "Required.",
    "console.grants.none": "No grants yet.",
    "console.grants.when": "Asked",
    "console.grants.status": "Status",
    "console.grants.counts": "Issued / asked",
    "console.grants.skipped": "Skipped",
    "console.grants.state.awaiting_upload": "Waiting for the file",
    "console.grants.state.queued": "Queued",
    "console.grants.state.running": "Running",
    "console.grants.state.done": "Done",
    "console.grants.state.failed": "Failed",
    "console.grants.queued": "The grant is queued; its status refreshes here.",
  },
  "zh-CN": {
    "console.grants.title": "批量发放",
    "console.grants.new": "发放给顾客",
    "console.grants.source": "发放对象",
    "console.grants.source.customer_ids": "指定顾客编号",
    "console.grants.source.tag": "带某标签的顾客",
    "console.grants.source.segment_id": "人群",
    "console.grants.customer_ids": "顾客编号",
    "console.grants.idsHint": "用逗号、空格或换行分隔（最多 10,000 个）",
    "console.grants.tag": "标签",
    "console.grants.segment_id": "人群编号",
    "console.grants.submit": "发放",
    "console.grants.required": "必填。",
    "console.grants.none": "还没有发放记录。",
    "console.grants.when": "发起时间",
    "console.grants.status": "状态",
    "console.grants.counts": "已发放 / 请求数",
    "console.grants.skipped": "跳过",
    "console.grants.state.awaiting_upload": "等待上传文件",
    "console.grants.state.queued": "排队中",
    "console.grants.state.running": "进行中",
    "console.grants.state.done": "已完成",
    "console.grants.state.failed": "失败",
    "console.grants.queued": "发放任务已排队，状态会在此自动刷新。",
  },
});

type Source = "customer_ids" | "tag" | "segment_id";

export function Grants({ coupon }: { coupon: Coupon }) {
  const { t, locale } = useLocale();
  const path = `/coupons/${encodeURIComponent(coupon.coupon_id)}/grants`;
  const list = useLoad((signal) => api<Page<Grant>>("GET", path, { query: { limit: 20 }, signal }), [path]);
  const pending = (list.data?.items ?? []).some((g) => g.status === "queued" || g.status === "running");
  const { reload } = list;
  useEffect(() => {
    if (!pending) return;
    const timer = setTimeout(reload, 2000);
    return () => clearTimeout(timer);
  }, [pending, list.data, reload]);
  return (
    <section aria-labelledby="grants-title">
      <h2 id="grants-title">{t("console.grants.title")}</h2>
      {coupon.status !== "deleted" && <GrantForm path={path} onDone={reload} />}
      <ListStatus load={list} empty={t("console.grants.none")} />
      {Boolean(list.data?.items.length) && (
        <DataTable headers={[t("console.grants.when"), t("console.grants.source"), t("console.grants.status"), t("console.grants.counts"), t("console.grants.skipped")]}>
          {list.data?.items.map((g) => (
            <tr key={g.grant_id}>
              <td>{formatTime(g.created_at, coupon.time_zone, locale)}</td>
              <td>{g.source.tag ?? g.source.segment_id ?? g.source.type}</td>
              <td>
                {t(`console.grants.state.${g.status}`)}
                {g.reason ? ` (${g.reason})` : ""}
              </td>
              <td>
                {g.granted} / {g.requested}
              </td>
              <td>
                {Object.entries(g.skipped)
                  .map(([reason, n]) => `${reason}: ${n}`)
                  .join(", ") || "—"}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}

function GrantForm({ path, onDone }: { path: string; onDone: () => void }) {
  const { t } = useLocale();
  const [source, setSource] = useState<Source>("customer_ids");
  const [value, setValue] = useState("");
  const [error, setError] = useState<unknown>();
  const [check, setCheck] = useState<string>();
  const [status, setStatus] = useState<string>();
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    setStatus(undefined);
    const ids = splitList(value);
    if (source === "customer_ids" ? !ids.length : !value.trim()) return setCheck(t("console.grants.required"));
    setCheck(undefined);
    setBusy(true);
    try {
      const body = source === "customer_ids" ? { customer_ids: ids } : { [source]: value.trim() };
      await api("POST", path, { body, idempotencyKey: key.current });
      key.current = newIdempotencyKey();
      setValue("");
      setStatus(t("console.grants.queued"));
      onDone();
    } catch (caught) {
      if (caught instanceof ApiError && caught.status < 500 && caught.status !== 0) key.current = newIdempotencyKey();
      setError(caught);
    } finally {
      setBusy(false);
    }
  }
  // The API names `body.customer_ids.3`, `body.tag`, `body.segment_id`: all shown at the one input.
  const named = error instanceof ApiError && (error.field ?? "").replace(/^body\./, "").startsWith(source);
  const atField = check ?? (named && error instanceof ApiError ? error.message : undefined);
  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="grant-new">
      <h3 id="grant-new">{t("console.grants.new")}</h3>
      <Field label={t("console.grants.source")}>
        {(p) => (
          <select {...p} value={source} onChange={(e) => setSource(e.target.value as Source)}>
            {(["customer_ids", "tag", "segment_id"] as const).map((s) => (
              <option key={s} value={s}>
                {t(`console.grants.source.${s}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t(`console.grants.${source}`)} hint={source === "customer_ids" ? t("console.grants.idsHint") : undefined} error={atField}>
        {(p) => (source === "customer_ids" ? <textarea {...p} rows={3} value={value} onChange={(e) => setValue(e.target.value)} /> : <input {...p} value={value} onChange={(e) => setValue(e.target.value)} />)}
      </Field>
      {Boolean(error) && !atField && <ErrorMessage error={error} />}
      <p role="status" className="hint">
        {status}
      </p>
      <button type="submit" disabled={busy}>
        {t("console.grants.submit")}
      </button>
    </form>
  );
}
