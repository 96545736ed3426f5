// Record search (GET /coupons/{id}/records): a coupon's claims and redemptions in a range of days (the
// coupon's zone), by kind, state, channel, store, nickname, name or phone; newest first, page by page.
// Every search is audited by the service; the phone is sent only to the API, never kept in the page's URL.
import { useState, type FormEvent } from "react";
import { api } from "../lib/api";
import { formatMoney, formatTime, localDate, zonedToUtc } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { ErrorMessage, Field, fieldError, formError, Loading } from "../lib/ui";
import { addDays } from "./chartScale";
import type { Coupon } from "./types";

addMessages({
  en: {
    "console.records.title": "Records",
    "console.records.from": "From (day)",
    "console.records.to": "To (day, included)",
    "console.records.kind": "Kind",
    "console.records.state": "State",
    "console.records.any": "Any",
    "console.records.kind.claim": "Claim",
    "console.records.kind.redemption": "Redemption",
    "console.records.state.available": "Available",
    "console.records.state.used": "Used",
    "console.records.state.expired": "Expired",
    "console.records.state.gifting": "Being given",
    "console.records.state.void": "Voided",
    "console.records.state.redeemed": "Redeemed",
    "console.records.state.reversed": "Reversed",
    "console.records.channel": "Channel",
    "console.records.store": "Store",
    "console.records.nickname": "Nickname (exact)",
    "console.records.name": "Name (exact)",
    "console.records.phone": "Phone number",
    "console.records.search": "Search",
    "console.records.found": "{n} records shown",
    "console.records.none": "No records match.",
    "console.records.col.at": "When",
    "console.records.col.customer": "Customer",
    "console.records.col.order": "Order",
    "console.records.col.discount": "Discount",
    "console.records.col.id": "Redemption id",
  },
  "zh-CN": {
    "console.records.title": "领用记录",
    "console.records.from": "开始日期",
    "console.records.to": "结束日期（含）",
    "console.records.kind": "类型",
    "console.records.state": "状态",
    "console.records.any": "全部",
    "console.records.kind.claim": "领取",
    "console.records.kind.redemption": "核销",
    "console.records.state.available": "可使用",
    "console.records.state.used": "已使用",
    "console.records.state.expired": "已过期",
    "console.records.state.gifting": "转赠中",
    "console.records.state.void": "已作废",
    "console.records.state.redeemed": "已核销",
    "console.records.state.reversed": "已撤销",
    "console.records.channel": "渠道",
    "console.records.store": "门店",
    "console.records.nickname": "昵称（精确匹配）",
    "console.records.name": "姓名（精确匹配）",
    "console.records.phone": "手机号",
    "console.records.search": "查询",
    "console.records.found": "显示 {n} 条记录",
    "console.records.none": "没有符合条件的记录。",
    "console.records.col.at": "时间",
    "console.records.col.customer": "顾客",
    "console.records.col.order": "订单",
    "console.records.col.discount": "优惠",
    "console.records.col.id": "核销编号",
  },
});

const STATES = ["available", "used", "expired", "gifting", "void", "redeemed", "reversed"];
const TEXT_FILTERS = ["channel", "store", "nickname", "name", "phone"] as const;
const FIELDS = ["from", "to", "kind", "state", ...TEXT_FILTERS];

interface RecordRow {
  kind: "claim" | "redemption";
  at: string;
  state: string;
  claim_id: string;
  redemption_id?: string | null;
  customer_id: string;
  nickname?: string | null;
  name?: string | null;
  phone_masked?: string | null;
  channel?: string | null;
  store_id?: string | null;
  order_id?: string | null;
  order_amount?: number | null;
  discount?: number | null;
  currency?: string | null;
}

interface Page {
  items: RecordRow[];
  next_token?: string | null;
}

type Filters = Record<(typeof FIELDS)[number], string>;

/** The search's query: days in the coupon's zone as the instants they start and end at. */
export function recordQuery(filters: Filters, timeZone: string): Record<string, string> {
  const query: Record<string, string> = {};
  if (filters.from) query.from = zonedToUtc(`${filters.from}T00:00`, timeZone);
  if (filters.to) query.to = zonedToUtc(`${addDays(filters.to, 1)}T00:00`, timeZone);
  for (const name of ["kind", "state", ...TEXT_FILTERS]) if (filters[name]?.trim()) query[name] = filters[name].trim();
  return query;
}

export function Records({ coupon }: { coupon: Coupon }) {
  const { t, locale } = useLocale();
  const today = localDate(new Date().toISOString(), coupon.time_zone);
  const [filters, setFilters] = useState<Filters>(() => Object.fromEntries(FIELDS.map((f) => [f, f === "from" ? addDays(today, -6) : f === "to" ? today : ""])));
  const [rows, setRows] = useState<RecordRow[]>();
  const [next, setNext] = useState<string | null>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const set = (name: string, value: string) => setFilters((f) => ({ ...f, [name]: value }));

  const fetchPage = async (token?: string) => {
    setBusy(true);
    setError(undefined);
    try {
      const query = { ...recordQuery(filters, coupon.time_zone), limit: 50, next_token: token };
      const page = await api<Page>("GET", `/coupons/${coupon.coupon_id}/records`, { query });
      setRows((old) => (token ? [...(old ?? []), ...page.items] : page.items));
      setNext(page.next_token);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const search = (event: FormEvent) => {
    event.preventDefault();
    void fetchPage();
  };
  const money = (minor?: number | null, currency?: string | null) => (minor == null ? "" : formatMoney(minor, currency ?? coupon.currency, locale));
  const input = (name: string, type = "text") => (
    <Field key={name} label={t(`console.records.${name}`)} error={fieldError(error, name)}>
      {(props) => <input {...props} type={type} value={filters[name]} onChange={(e) => set(name, e.target.value)} autoComplete="off" />}
    </Field>
  );
  const choice = (name: string, options: string[]) => (
    <Field label={t(`console.records.${name}`)} error={fieldError(error, name)}>
      {(props) => (
        <select {...props} value={filters[name]} onChange={(e) => set(name, e.target.value)}>
          <option value="">{t("console.records.any")}</option>
          {options.map((o) => (
            <option key={o} value={o}>
              {t(`console.records.${name}.${o}`)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
  return (
    <section aria-labelledby="records-title">
      <h3 id="records-title">{t("console.records.title")}</h3>
      <form className="card filters" onSubmit={search}>
        {input("from", "date")}
        {input("to", "date")}
        {choice("kind", ["claim", "redemption"])}
        {choice("state", STATES)}
        {TEXT_FILTERS.map((name) => input(name, name === "phone" ? "tel" : "text"))}
        <div className="actions">
          <button type="submit" disabled={busy}>
            {t("console.records.search")}
          </button>
        </div>
      </form>
      {formError(error, FIELDS) !== undefined && <ErrorMessage error={formError(error, FIELDS)} />}
      {busy && !rows && <Loading />}
      {rows && (
        <>
          <p role="status">{rows.length ? t("console.records.found", { n: rows.length }) : t("console.records.none")}</p>
          {rows.length > 0 && (
            <div className="table-scroll" tabIndex={0} role="group" aria-labelledby="records-title">
              <table>
                <thead>
                  <tr>
                    {["at", "kind", "state", "customer", "channel", "store", "order", "discount", "id"].map((c) => (
                      <th key={c} scope="col">
                        {t(["kind", "state", "channel", "store"].includes(c) ? `console.records.${c}` : `console.records.col.${c}`)}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={`${r.kind}-${r.redemption_id ?? r.claim_id}`}>
                      <td>{formatTime(r.at, coupon.time_zone, locale, false)}</td>
                      <td>{t(`console.records.kind.${r.kind}`)}</td>
                      <td>{t(`console.records.state.${r.state}`)}</td>
                      <td>{[r.nickname, r.name, r.phone_masked].filter(Boolean).join(" · ") || r.customer_id}</td>
                      <td>{r.channel ?? ""}</td>
                      <td>{r.store_id ?? ""}</td>
                      <td>{money(r.order_amount, r.currency)}</td>
                      <td>{money(r.discount, r.currency)}</td>
                      <td>
                        <code>{r.redemption_id ?? ""}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {next && (
            <button type="button" onClick={() => fetchPage(next)} disabled={busy}>
              {t("common.more")}
            </button>
          )}
        </>
      )}
    </section>
  );
}
