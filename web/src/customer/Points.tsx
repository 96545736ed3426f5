// The customer's points at a programme (/c/points?programme=<merchant id or platform>): the balance, what of
// it expires when, the daily check-in with its streak, and the ledger's entries, newest first.
import { useState, type FormEvent } from "react";
import { api, ApiError } from "../lib/api";
import { addMessages, useLocale } from "../lib/i18n";
import { formatTime } from "../lib/format";
import { navigate } from "../lib/router";
import { ErrorMessage, Field, Loading, useLoad } from "../lib/ui";
import { MorePages, usePages } from "./paging";
import "./points.css";
import { EntryList } from "./PointsEntries";
import { checkInText, expiryLines, type CheckIn, type PointsEntry, type PointsSummary } from "./pointsText";
import { say } from "./offerText";
import type { Page } from "./types";

addMessages({
  en: {
    "customer.points.title": "My points",
    "customer.points.programme": "Programme",
    "customer.points.programmeHint": "The shop's id, or “platform” for the platform's points",
    "customer.points.open": "Show",
    "customer.points.balance": "Balance",
    "customer.points.balanceValue": "{points} points",
    "customer.points.owed": "You owe {points} points that a refund could not take back: the next points you earn pay them first.",
    "customer.points.expiring": "Expiring",
    "customer.points.expiringLine": "{points} points on {when}",
    "customer.points.noExpiry": "None of your points expire.",
    "customer.points.zoneNote": "Times are in the programme's time zone ({zone}).",
    "customer.points.checkInTitle": "Daily check-in",
    "customer.points.checkInButton": "Check in",
    "customer.points.checkIn.done": "+{points} points today. Day {streak} of your streak.",
    "customer.points.checkIn.bonus": "+{points} points today and a {bonus}-point bonus for {streak} days in a row!",
    "customer.points.checkIn.already": "You have already checked in today ({streak} days in a row). Come back tomorrow.",
    "customer.points.checkingIn": "Checking in…",
    "customer.points.streak": "Check-in streak: {streak}",
    "customer.points.checkedToday": "Last check-in: {day}",
    "customer.points.entries": "History",
    "customer.points.noProgramme": "This programme has no points.",
    "customer.points.noCheckIn": "This programme has no daily check-in.",
  },
  "zh-CN": {
    "customer.points.title": "我的积分",
    "customer.points.programme": "积分计划",
    "customer.points.programmeHint": "商家编号，平台积分请填“platform”",
    "customer.points.open": "查看",
    "customer.points.balance": "积分余额",
    "customer.points.balanceValue": "{points} 积分",
    "customer.points.owed": "您有 {points} 积分因退款未能扣回，之后获得的积分将优先抵扣。",
    "customer.points.expiring": "即将过期",
    "customer.points.expiringLine": "{points} 积分将于 {when} 过期",
    "customer.points.noExpiry": "您的积分均不会过期。",
    "customer.points.zoneNote": "时间按积分计划所在时区（{zone}）显示。",
    "customer.points.checkInTitle": "每日签到",
    "customer.points.checkInButton": "签到",
    "customer.points.checkIn.done": "今日签到 +{points} 积分，已连续签到 {streak} 天。",
    "customer.points.checkIn.bonus": "今日签到 +{points} 积分，连续 {streak} 天另得 {bonus} 积分奖励！",
    "customer.points.checkIn.already": "今天已签到（已连续 {streak} 天），明天再来吧。",
    "customer.points.checkingIn": "签到中…",
    "customer.points.streak": "已连续签到 {streak} 天",
    "customer.points.checkedToday": "上次签到：{day}",
    "customer.points.entries": "积分明细",
    "customer.points.noProgramme": "该计划没有积分。",
    "customer.points.noCheckIn": "该计划暂无每日签到。",
  },
});

export function Points({ programme }: { programme: string | null }) {
  const { t } = useLocale();
  const [typed, setTyped] = useState(programme ?? "");
  const open = (event: FormEvent) => {
    event.preventDefault();
    const value = typed.trim();
    if (value) navigate(`/c/points?programme=${encodeURIComponent(value)}`);
  };
  return (
    <section className="points">
      <h1>{t("customer.points.title")}</h1>
      <form className="programme-form" onSubmit={open}>
        <Field label={t("customer.points.programme")} hint={t("customer.points.programmeHint")}>
          {(props) => <input {...props} value={typed} autoComplete="off" onChange={(e) => setTyped(e.target.value)} />}
        </Field>
        <button type="submit">{t("customer.points.open")}</button>
      </form>
      {programme && <Ledger key={programme} programme={programme} />}
    </section>
  );
}

function Ledger({ programme }: { programme: string }) {
  const { t, locale } = useLocale();
  const summary = useLoad((signal) => api<PointsSummary>("GET", "/me/points", { query: { programme }, signal }), [programme]);
  const entries = usePages<PointsEntry>(
    (token, signal) => api<Page<PointsEntry>>("GET", "/me/points/entries", { query: { programme, limit: 20, next_token: token }, signal }),
    [programme],
  );
  const changed = () => {
    summary.reload();
    entries.reload();
  };
  if (summary.loading && !summary.data) return <Loading />;
  if (summary.error instanceof ApiError && summary.error.status === 404) return <p role="alert">{t("customer.points.noProgramme")}</p>;
  if (summary.error !== undefined) return <ErrorMessage error={summary.error} onRetry={summary.reload} />;
  const data = summary.data!;
  const zone = data.time_zone ?? "UTC"; // the programme's (its merchant's), never the browser's
  const lines = expiryLines(data.expiring, zone, locale);
  return (
    <>
      <section className="card balance" aria-labelledby="points-balance">
        <h2 id="points-balance">{t("customer.points.balance")}</h2>
        <p className="value">{t("customer.points.balanceValue", { points: data.balance.toLocaleString(locale) })}</p>
        {data.owed ? <p className="hint">{t("customer.points.owed", { points: data.owed.toLocaleString(locale) })}</p> : null}
        <h3>{t("customer.points.expiring")}</h3>
        {lines.length === 0 ? (
          <p>{t("customer.points.noExpiry")}</p>
        ) : (
          <>
            <ul className="facts">
              {lines.map((line) => (
                <li key={line.when}>{t("customer.points.expiringLine", { points: line.points.toLocaleString(locale), when: line.when })}</li>
              ))}
            </ul>
            <p className="hint">{t("customer.points.zoneNote", { zone })}</p>
          </>
        )}
      </section>
      <CheckInCard programme={programme} summary={data} onDone={changed} />
      <h2>{t("customer.points.entries")}</h2>
      {entries.loading && !entries.items && <Loading />}
      {entries.error !== undefined && <ErrorMessage error={entries.error} onRetry={entries.reload} />}
      {entries.items && <EntryList entries={entries.items} timeZone={zone} />}
      <MorePages pages={entries} />
    </>
  );
}

function CheckInCard({ programme, summary, onDone }: { programme: string; summary: PointsSummary; onDone(): void }) {
  const { t, locale } = useLocale();
  const [answer, setAnswer] = useState<CheckIn>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const checkIn = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setAnswer(await api<CheckIn>("POST", "/me/check-ins", { body: { programme } }));
      onDone();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const streak = answer?.streak ?? summary.streak;
  return (
    <section className="card check-in" aria-labelledby="points-check-in">
      <h2 id="points-check-in">{t("customer.points.checkInTitle")}</h2>
      {streak > 0 && <p>{t("customer.points.streak", { streak })}</p>}
      {summary.check_in_day && <p className="hint">{t("customer.points.checkedToday", { day: formatDay(summary.check_in_day, locale) })}</p>}
      <button type="button" className="primary" onClick={checkIn} disabled={busy}>
        {busy ? t("customer.points.checkingIn") : t("customer.points.checkInButton")}
      </button>
      <p role="status">{answer ? say(t, checkInText(answer)) : ""}</p>
      {error instanceof ApiError && error.status === 404 ? (
        <p role="alert">{t("customer.points.noCheckIn")}</p>
      ) : (
        error !== undefined && <ErrorMessage error={error} onRetry={checkIn} />
      )}
    </section>
  );
}

/** A local day (YYYY-MM-DD, the merchant's) as a date, without moving it through any zone. */
function formatDay(day: string, locale: string): string {
  return formatTime(`${day}T12:00:00Z`, "UTC", locale, false).replace(/,?\s*\d{1,2}:\d{2}.*$/, "");
}
