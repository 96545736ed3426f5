// A coupon's data tab: the key figures and trend charts of claimed and used per day, per channel and per
// store (GET /coupons/{id}/figures?by=day|channel|store), record search and exports.
import { useState } from "react";
import { api } from "../lib/api";
import type { Session } from "../lib/auth";
import { formatMoney, localDate } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { ErrorMessage, Field, Loading, useLoad } from "../lib/ui";
import { BarChart } from "./Chart";
import { addDays, daysBetween, perDay } from "./chartScale";
import { Exports } from "./Exports";
import { Records } from "./Records";
import type { Coupon } from "./types";
import "./ops.css";

addMessages({
  en: {
    "console.data.title": "Data",
    "console.data.range": "Period",
    "console.data.days": "Last {n} days",
    "console.data.refresh": "Refresh",
    "console.data.zone": "Days in {zone}; figures arrive within a minute of what happened.",
    "console.data.key": "Key figures",
    "console.data.perDay": "Per day",
    "console.data.perChannel": "Per channel",
    "console.data.perStore": "Per store",
    "console.data.noChannel": "No channel",
    "console.data.noStore": "No store",
    "console.data.claimed": "Claimed",
    "console.data.used": "Used",
    "console.data.rate": "Redemption rate",
    "console.data.discount": "Discount given",
    "console.data.orders": "Orders with the coupon",
    "console.data.orderValue": "Their value",
    "console.data.newCustomers": "New customers",
    "console.data.repeatOrders": "Repeat orders (30 days)",
    "console.data.reversed": "Reversed",
    "console.data.voided": "Voided",
    "console.data.expired": "Expired unused",
    "console.data.gifted": "Given to friends",
  },
  "zh-CN": {
    "console.data.title": "数据",
    "console.data.range": "时间段",
    "console.data.days": "最近 {n} 天",
    "console.data.refresh": "刷新",
    "console.data.zone": "按 {zone} 时区统计每天；数据在发生后一分钟内更新。",
    "console.data.key": "关键指标",
    "console.data.perDay": "按天",
    "console.data.perChannel": "按渠道",
    "console.data.perStore": "按门店",
    "console.data.noChannel": "无渠道",
    "console.data.noStore": "无门店",
    "console.data.claimed": "领取",
    "console.data.used": "核销",
    "console.data.rate": "核销率",
    "console.data.discount": "优惠金额",
    "console.data.orders": "用券订单",
    "console.data.orderValue": "订单金额",
    "console.data.newCustomers": "新顾客",
    "console.data.repeatOrders": "复购订单（30 天内）",
    "console.data.reversed": "撤销核销",
    "console.data.voided": "作废",
    "console.data.expired": "过期未用",
    "console.data.gifted": "转赠",
  },
});

const RANGES = [7, 30, 90];

interface Counts {
  claimed: number;
  used: number;
  reversed: number;
  voided: number;
  expired_unused: number;
  gifted: number;
  discount: number;
  orders: number;
  order_value: number;
  new_customers: number;
  repeat_orders: number;
  redemption_rate: number | null;
}

interface Row extends Counts {
  day?: string | null;
  channel?: string | null;
  store_id?: string | null;
}

interface Figures {
  time_zone: string;
  first_day: string;
  last_day: string;
  totals: Counts;
  rows: Row[];
}

function KeyFigures({ totals, currency }: { totals: Counts; currency: string }) {
  const { t, locale } = useLocale();
  const number = (n: number) => new Intl.NumberFormat(locale).format(n);
  const money = (n: number) => formatMoney(n, currency, locale);
  const rate = totals.redemption_rate == null ? "—" : new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(totals.redemption_rate);
  const figures: [string, string][] = [
    ["console.data.claimed", number(totals.claimed)],
    ["console.data.used", number(totals.used)],
    ["console.data.rate", rate],
    ["console.data.discount", money(totals.discount)],
    ["console.data.orders", number(totals.orders)],
    ["console.data.orderValue", money(totals.order_value)],
    ["console.data.newCustomers", number(totals.new_customers)],
    ["console.data.repeatOrders", number(totals.repeat_orders)],
    ["console.data.reversed", number(totals.reversed)],
    ["console.data.voided", number(totals.voided)],
    ["console.data.expired", number(totals.expired_unused)],
    ["console.data.gifted", number(totals.gifted)],
  ];
  return (
    <dl className="key-figures">
      {figures.map(([key, value]) => (
        <div key={key}>
          <dt>{t(key)}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function DataTab({ session, coupon }: { session: Session; coupon: Coupon }) {
  void session;
  const { t, locale } = useLocale();
  const [days, setDays] = useState(7);
  const couponId = coupon.coupon_id;
  // The range ends today; its first day is counted in the coupon's zone (the answer names the zone it used).
  const from = addDays(localDate(new Date().toISOString(), coupon.time_zone), -(days - 1));
  const load = (by: string) => (signal: AbortSignal) => api<Figures>("GET", `/coupons/${couponId}/figures`, { query: { by, from }, signal });
  const byDay = useLoad(load("day"), [couponId, from]);
  const byChannel = useLoad(load("channel"), [couponId, from]);
  const byStore = useLoad(load("store"), [couponId, from]);
  const refresh = () => [byDay, byChannel, byStore].forEach((figures) => figures.reload());
  // Rows of no channel or store carry figures of other kinds (orders, customers): charted only with a claim or use.
  const charted = (rows: Row[]) => rows.filter((r) => r.claimed || r.used);
  const series = (rows: Row[]) => [
    { name: t("console.data.claimed"), values: rows.map((r) => r.claimed), className: "claimed" },
    { name: t("console.data.used"), values: rows.map((r) => r.used), className: "used" },
  ];
  const shortDay = (day: string) => new Intl.DateTimeFormat(locale, { month: "numeric", day: "numeric", timeZone: "UTC" }).format(new Date(`${day}T00:00:00Z`));
  const dayData = byDay.data;
  const loading = byDay.loading || byChannel.loading || byStore.loading;
  return (
    <section aria-labelledby="data-title" className="data-tab">
      <h2 id="data-title">{t("console.data.title")}</h2>
      <div className="data-controls">
        <Field label={t("console.data.range")}>
          {(props) => (
            <select {...props} value={days} onChange={(e) => setDays(Number(e.target.value))}>
              {RANGES.map((n) => (
                <option key={n} value={n}>
                  {t("console.data.days", { n })}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="button" onClick={refresh} disabled={loading}>
          {t("console.data.refresh")}
        </button>
      </div>
      {byDay.error !== undefined && <ErrorMessage error={byDay.error} onRetry={byDay.reload} />}
      {!dayData && byDay.loading && <Loading />}
      {dayData && (
        <>
          <p className="hint">{t("console.data.zone", { zone: dayData.time_zone })}</p>
          <h3>{t("console.data.key")}</h3>
          <KeyFigures totals={dayData.totals} currency={coupon.currency} />
          <div className="charts">
            <BarChart
              title={t("console.data.perDay")}
              categories={daysBetween(dayData.first_day, dayData.last_day)}
              labelOf={shortDay}
              series={[
                { name: t("console.data.claimed"), values: perDay(dayData.rows, dayData.first_day, dayData.last_day, (r) => r.claimed), className: "claimed" },
                { name: t("console.data.used"), values: perDay(dayData.rows, dayData.first_day, dayData.last_day, (r) => r.used), className: "used" },
              ]}
            />
            {byChannel.error !== undefined && <ErrorMessage error={byChannel.error} onRetry={byChannel.reload} />}
            {byChannel.data && (
              <BarChart
                title={t("console.data.perChannel")}
                categories={charted(byChannel.data.rows).map((r) => r.channel ?? "")}
                labelOf={(c) => c || t("console.data.noChannel")}
                series={series(charted(byChannel.data.rows))}
              />
            )}
            {byStore.error !== undefined && <ErrorMessage error={byStore.error} onRetry={byStore.reload} />}
            {byStore.data && (
              <BarChart
                title={t("console.data.perStore")}
                categories={charted(byStore.data.rows).map((r) => r.store_id ?? "")}
                labelOf={(c) => c || t("console.data.noStore")}
                series={series(charted(byStore.data.rows))}
              />
            )}
          </div>
        </>
      )}
      <Records coupon={coupon} />
      <Exports coupon={coupon} />
    </section>
  );
}
