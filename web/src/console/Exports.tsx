// Exports (POST /coupons/{id}/exports, then GET /exports/{job} until it is done): a CSV of the coupon's
// records, redemptions or code pool, made by a worker; saved from its short-lived link when ready.
import { useEffect, useState, type FormEvent } from "react";
import { api, newIdempotencyKey } from "../lib/api";
import { localDate, zonedToUtc } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { ErrorMessage, Field, saveBlob } from "../lib/ui";
import { addDays } from "./chartScale";
import type { Coupon } from "./types";

addMessages({
  en: {
    "console.exports.title": "Exports",
    "console.exports.kind": "What to export",
    "console.exports.kind.records": "Claims and redemptions",
    "console.exports.kind.redemptions": "Redemptions with their orders",
    "console.exports.kind.codes": "The code pool",
    "console.exports.from": "From (day)",
    "console.exports.to": "To (day, included)",
    "console.exports.start": "Export as CSV",
    "console.exports.state.queued": "Waiting to start…",
    "console.exports.state.running": "Exporting… {rows} rows so far",
    "console.exports.state.done": "Ready: {rows} rows",
    "console.exports.state.failed": "The export failed ({reason}).",
    "console.exports.download": "Download the CSV",
  },
  "zh-CN": {
    "console.exports.title": "导出",
    "console.exports.kind": "导出内容",
    "console.exports.kind.records": "领取与核销记录",
    "console.exports.kind.redemptions": "核销记录及订单",
    "console.exports.kind.codes": "券码池",
    "console.exports.from": "开始日期",
    "console.exports.to": "结束日期（含）",
    "console.exports.start": "导出为 CSV",
    "console.exports.state.queued": "等待开始…",
    "console.exports.state.running": "正在导出…已导出 {rows} 行",
    "console.exports.state.done": "已完成：共 {rows} 行",
    "console.exports.state.failed": "导出失败（{reason}）。",
    "console.exports.download": "下载 CSV",
  },
});

const KINDS = ["records", "redemptions", "codes"] as const;
const POLL_MS = 1500;

interface ExportJob {
  job_id: string;
  kind: string;
  state: "queued" | "running" | "done" | "failed";
  reason?: string | null;
  rows: number;
  url?: string | null;
}

export function Exports({ coupon }: { coupon: Coupon }) {
  const { t } = useLocale();
  const today = localDate(new Date().toISOString(), coupon.time_zone);
  const [kind, setKind] = useState<(typeof KINDS)[number]>("records");
  const [from, setFrom] = useState(addDays(today, -6));
  const [to, setTo] = useState(today);
  const [job, setJob] = useState<ExportJob>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const ranged = kind !== "codes";

  // Refreshing until the worker is done with it.
  useEffect(() => {
    if (!job || job.state === "done" || job.state === "failed") return;
    const timer = window.setTimeout(() => {
      api<ExportJob>("GET", `/exports/${job.job_id}`).then(setJob, setError);
    }, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [job]);

  const start = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setJob(undefined);
    try {
      const body: Record<string, string> = { kind };
      if (ranged && from) body.from = zonedToUtc(`${from}T00:00`, coupon.time_zone);
      if (ranged && to) body.to = zonedToUtc(`${addDays(to, 1)}T00:00`, coupon.time_zone);
      setJob(await api<ExportJob>("POST", `/coupons/${coupon.coupon_id}/exports`, { body, idempotencyKey: newIdempotencyKey() }));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const download = async () => {
    setError(undefined);
    try {
      // The link is signed anew for each read: read the job once more for a fresh one.
      const fresh = await api<ExportJob>("GET", `/exports/${job!.job_id}`);
      const response = await fetch(fresh.url!);
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      saveBlob(await response.blob(), `coupon-${coupon.coupon_id.slice(0, 8)}-${fresh.kind}.csv`);
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section aria-labelledby="exports-title">
      <h3 id="exports-title">{t("console.exports.title")}</h3>
      <form className="card filters" onSubmit={start}>
        <Field label={t("console.exports.kind")}>
          {(props) => (
            <select {...props} value={kind} onChange={(e) => setKind(e.target.value as (typeof KINDS)[number])}>
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`console.exports.kind.${k}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        {ranged && (
          <>
            <Field label={t("console.exports.from")}>{(props) => <input {...props} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />}</Field>
            <Field label={t("console.exports.to")}>{(props) => <input {...props} type="date" value={to} onChange={(e) => setTo(e.target.value)} />}</Field>
          </>
        )}
        <div className="actions">
          <button type="submit" disabled={busy || (job && job.state !== "done" && job.state !== "failed")}>
            {t("console.exports.start")}
          </button>
        </div>
      </form>
      {error !== undefined && <ErrorMessage error={error} />}
      {job && (
        <div className="card export-job">
          <p role={job.state === "failed" ? "alert" : "status"}>{t(`console.exports.state.${job.state}`, { rows: job.rows, reason: job.reason ?? "?" })}</p>
          {job.state === "done" && job.url && (
            <button type="button" onClick={download}>
              {t("console.exports.download")}
            </button>
          )}
        </div>
      )}
    </section>
  );
}
