// A customer's points at the merchant (/console/points): looked up by their id, their balance, what expires
// when and their entries; a manual adjustment {points, reason} with one Idempotency-Key per intent (a retry
// after a lost answer is the same adjustment), a negative one confirmed first, a 422 shown at its field.
import { useState, type FormEvent } from "react";
import { api, newIdempotencyKey, type ApiError } from "../lib/api";
import { addMessages, useLocale } from "../lib/i18n";
import { ConfirmDialog, ErrorMessage, Field, fieldError, formError, Loading, useLoad } from "../lib/ui";
import { EntryList } from "../customer/PointsEntries";
import { expiryLines, type PointsEntry, type PointsSummary } from "../customer/pointsText";
import "../customer/points.css";
import { readPages } from "./display";

addMessages({
  en: {
    "console.points.lookup": "A customer's points",
    "console.points.customerId": "Customer id",
    "console.points.find": "Look up",
    "console.points.balance": "Balance: {points} points",
    "console.points.owed": "Owed: {points} points that take-backs could not take (the next credits pay them first)",
    "console.points.expiring": "{points} points expire on {when}",
    "console.points.entries": "Entries",
    "console.points.adjust": "Adjust points",
    "console.points.points": "Points",
    "console.points.pointsHint": "Negative to take points away; never below zero",
    "console.points.reason": "Reason",
    "console.points.reasonHint": "Shown to the customer and kept in the audit trail",
    "console.points.apply": "Apply",
    "console.points.adjusted": "{points} points applied.",
    "console.points.confirmTitle": "Take {points} points from {customer}?",
    "console.points.confirmBody": "The customer sees this in their points history with your reason.",
    "console.points.confirm": "Take points",
    "console.points.needNumber": "A whole number, not zero.",
    "console.points.needReason": "Required.",
  },
  "zh-CN": {
    "console.points.lookup": "顾客积分",
    "console.points.customerId": "顾客编号",
    "console.points.find": "查询",
    "console.points.balance": "余额：{points} 积分",
    "console.points.owed": "欠分：{points} 积分未能扣回（之后入账的积分优先抵扣）",
    "console.points.expiring": "{points} 积分将于 {when} 过期",
    "console.points.entries": "积分明细",
    "console.points.adjust": "调整积分",
    "console.points.points": "积分",
    "console.points.pointsHint": "填负数为扣减；余额不能低于零",
    "console.points.reason": "原因",
    "console.points.reasonHint": "顾客可见，并记入审计记录",
    "console.points.apply": "确认调整",
    "console.points.adjusted": "已调整 {points} 积分。",
    "console.points.confirmTitle": "从 {customer} 扣减 {points} 积分？",
    "console.points.confirmBody": "顾客会在积分明细中看到此次调整及原因。",
    "console.points.confirm": "扣减积分",
    "console.points.needNumber": "请填写非零整数。",
    "console.points.needReason": "必填。",
  },
});

export function PointsCustomer({ timeZone }: { timeZone: string }) {
  const { t } = useLocale();
  const [typed, setTyped] = useState("");
  const [customer, setCustomer] = useState<string>();
  const find = (event: FormEvent) => {
    event.preventDefault();
    if (typed.trim()) setCustomer(typed.trim());
  };
  return (
    <section aria-labelledby="points-lookup" className="points narrow-form">
      <h2 id="points-lookup">{t("console.points.lookup")}</h2>
      <form className="programme-form" onSubmit={find}>
        <Field label={t("console.points.customerId")}>
          {(props) => <input {...props} value={typed} autoComplete="off" onChange={(e) => setTyped(e.target.value)} />}
        </Field>
        <button type="submit">{t("console.points.find")}</button>
      </form>
      {customer && <CustomerLedger key={customer} customer={customer} timeZone={timeZone} />}
    </section>
  );
}

function CustomerLedger({ customer, timeZone }: { customer: string; timeZone: string }) {
  const { t, locale } = useLocale();
  const path = `/merchant/points/customers/${encodeURIComponent(customer)}`;
  const [pages, setPages] = useState(1);
  const summary = useLoad((signal) => api<PointsSummary>("GET", path, { signal }), [path]);
  const entries = useLoad(
    (signal) => readPages(pages, (token) => api<{ items: PointsEntry[]; next_token?: string | null }>("GET", `${path}/entries`, { query: { limit: 20, next_token: token }, signal })),
    [path, pages],
  );
  const changed = () => {
    summary.reload();
    entries.reload();
  };
  if (summary.loading && !summary.data) return <Loading />;
  if (summary.error !== undefined) return <ErrorMessage error={summary.error} onRetry={summary.reload} />;
  const data = summary.data!;
  const zone = data.time_zone ?? timeZone; // the programme's, as the ledger's answer names it
  return (
    <div className="card">
      <p className="value">{t("console.points.balance", { points: data.balance.toLocaleString(locale) })}</p>
      {data.owed ? <p className="hint">{t("console.points.owed", { points: data.owed.toLocaleString(locale) })}</p> : null}
      <ul className="facts">
        {expiryLines(data.expiring, zone, locale).map((line) => (
          <li key={line.when}>{t("console.points.expiring", { points: line.points.toLocaleString(locale), when: line.when })}</li>
        ))}
      </ul>
      <Adjustment customer={customer} path={path} onDone={changed} />
      <h3>{t("console.points.entries")}</h3>
      {entries.loading && !entries.data && <Loading />}
      {entries.error !== undefined && <ErrorMessage error={entries.error} onRetry={entries.reload} />}
      {entries.data && <EntryList entries={entries.data.items} timeZone={zone} showBy />}
      {entries.data?.next && (
        <button type="button" onClick={() => setPages((p) => p + 1)}>
          {t("common.more")}
        </button>
      )}
    </div>
  );
}

function Adjustment({ customer, path, onDone }: { customer: string; path: string; onDone(): void }) {
  const { t, locale } = useLocale();
  const [points, setPoints] = useState("");
  const [reason, setReason] = useState("");
  const [checks, setChecks] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  // One key per intended adjustment: kept while its answer is unknown (a retry is the same adjustment),
  // replaced once the API answered it either way or the form changes.
  const [key, setKey] = useState(newIdempotencyKey);
  const edit = (apply: () => void) => {
    apply();
    setKey(newIdempotencyKey());
  };
  const at = (field: string) => checks[field] ?? fieldError(error, `body.${field}`) ?? fieldError(error, field);
  const amount = /^-?\d+$/.test(points.trim()) ? Number(points.trim()) : NaN;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!Number.isInteger(amount) || amount === 0) found.points = t("console.points.needNumber");
    if (!reason.trim()) found.reason = t("console.points.needReason");
    setChecks(found);
    setError(undefined);
    setNotice("");
    if (Object.keys(found).length) return;
    if (amount < 0) setConfirming(true);
    else void send();
  };
  async function send() {
    setConfirming(false);
    setBusy(true);
    try {
      await api("POST", `${path}/adjustments`, { body: { points: amount, reason: reason.trim() }, idempotencyKey: key });
      setNotice(t("console.points.adjusted", { points: amount.toLocaleString(locale) }));
      setPoints("");
      setReason("");
      setKey(newIdempotencyKey());
      onDone();
    } catch (caught) {
      setError(caught);
      if ((caught as ApiError).status > 0 && (caught as ApiError).status < 500) setKey(newIdempotencyKey());
    } finally {
      setBusy(false);
    }
  }
  const shown = formError(error, ["points", "reason", "body.points", "body.reason"]);
  return (
    <form onSubmit={submit} noValidate aria-labelledby="points-adjust">
      <h3 id="points-adjust">{t("console.points.adjust")}</h3>
      {shown !== undefined && <ErrorMessage error={shown} />}
      <div className="row">
        <Field label={t("console.points.points")} hint={t("console.points.pointsHint")} error={at("points")}>
          {(props) => <input {...props} inputMode="numeric" autoComplete="off" value={points} onChange={(e) => edit(() => setPoints(e.target.value))} />}
        </Field>
        <Field label={t("console.points.reason")} hint={t("console.points.reasonHint")} error={at("reason")}>
          {(props) => <input {...props} autoComplete="off" maxLength={200} value={reason} onChange={(e) => edit(() => setReason(e.target.value))} />}
        </Field>
      </div>
      <button type="submit" disabled={busy}>
        {t("console.points.apply")}
      </button>
      <p role="status" className={notice ? "notice" : undefined}>
        {notice}
      </p>
      <ConfirmDialog
        open={confirming}
        title={t("console.points.confirmTitle", { points: Math.abs(amount || 0).toLocaleString(locale), customer })}
        body={<p>{t("console.points.confirmBody")}</p>}
        confirmLabel={t("console.points.confirm")}
        onConfirm={send}
        onCancel={() => setConfirming(false)}
      />
    </form>
  );
}
