// The merchant's coupons (/console/): key figures, each coupon's status, windows and inventory, with inline
// edits of the inventory and the windows (PATCH with the version read; a version conflict reloads the list).
import { useState } from "react";
import { api, ApiError } from "../lib/api";
import type { Session } from "../lib/auth";
import { addMessages, useLocale } from "../lib/i18n";
import { Link } from "../lib/router";
import { ErrorMessage, Loading, useLoad } from "../lib/ui";
import "./coupons.css";
import { DataTable, ListStatus } from "./formParts";
import { percent, readPages } from "./display";
import { InlineInventory, InlineWindows } from "./InlineEdits";
import type { Coupon, OverviewItem, Page } from "./types";

addMessages({
  en: {
    "console.list.title": "Coupons",
    "console.list.create": "Create coupon",
    "console.list.figures": "Key figures",
    "console.list.claimed": "Claimed",
    "console.list.used": "Used",
    "console.list.rate": "Redemption rate",
    "console.list.coupons": "Coupons",
    "console.list.figuresOf": "Figures of the first {count} coupons",
    "console.list.coupon": "Coupon",
    "console.list.status": "Status",
    "console.list.claimWindow": "Claim window",
    "console.list.validity": "Validity",
    "console.list.inventory": "Inventory",
    "console.list.figuresCol": "Used / rate",
    "console.list.none": "No coupons yet. Create the first one.",
    "console.list.unlimited": "unlimited",
    "console.list.stock": "{claimed} claimed · {remaining} left of {total}",
    "console.list.stockUnlimited": "{claimed} claimed · unlimited",
    "console.list.reloaded": "Someone changed “{title}” meanwhile: the list was reloaded. Check the figures and edit again.",
    "console.list.saved": "“{title}” saved.",
    "console.validityText.relative_days": "{days} days, starting {after} days after the claim",
    "console.validityText.days": "{days} days from the claim",
    "console.validityText.hours": "{hours} hours from the claim",
  },
  "zh-CN": {
    "console.list.title": "优惠券",
    "console.list.create": "新建优惠券",
    "console.list.figures": "核心数据",
    "console.list.claimed": "已领取",
    "console.list.used": "已使用",
    "console.list.rate": "核销率",
    "console.list.coupons": "优惠券数",
    "console.list.figuresOf": "前 {count} 张优惠券的数据",
    "console.list.coupon": "优惠券",
    "console.list.status": "状态",
    "console.list.claimWindow": "领取时间",
    "console.list.validity": "有效期",
    "console.list.inventory": "库存",
    "console.list.figuresCol": "已使用 / 核销率",
    "console.list.none": "还没有优惠券，先创建第一张吧。",
    "console.list.unlimited": "不限量",
    "console.list.stock": "已领 {claimed} · 剩余 {remaining} / 共 {total}",
    "console.list.stockUnlimited": "已领 {claimed} · 不限量",
    "console.list.reloaded": "“{title}”已被他人修改，列表已重新加载，请核对后再编辑。",
    "console.list.saved": "“{title}”已保存。",
    "console.validityText.relative_days": "领取后 {after} 天起，有效 {days} 天",
    "console.validityText.days": "领取后 {days} 天内有效",
    "console.validityText.hours": "领取后 {hours} 小时内有效",
  },
});

const PAGE = 20;

export function CouponList({ session }: { session: Session }) {
  const { t, locale } = useLocale();
  void session;
  const [pages, setPages] = useState(1); // how many pages "load more" has shown
  const [notice, setNotice] = useState<{ text: string; alert: boolean }>();
  const list = useLoad(
    (signal) => readPages(pages, (token) => api<Page<Coupon>>("GET", "/coupons", { query: { limit: PAGE, next_token: token }, signal })),
    [pages],
  );
  const overview = useLoad((signal) => api<Page<OverviewItem>>("GET", "/merchant/overview", { query: { limit: 100 }, signal }), []);
  const [rows, setRows] = useState<Record<string, Coupon>>({}); // rows saved since the list was read

  const saved = (coupon: Coupon) => {
    setRows((r) => ({ ...r, [coupon.coupon_id]: coupon }));
    setNotice({ text: t("console.list.saved", { title: coupon.title }), alert: false });
  };
  const refused = (coupon: Coupon, error: unknown) => {
    if (error instanceof ApiError && error.status === 409 && error.code === "version_conflict") {
      setRows({});
      list.reload();
      setNotice({ text: t("console.list.reloaded", { title: coupon.title }), alert: true });
      return true; // handled here: the editor closes
    }
    return false;
  };
  const figures = new Map((overview.data?.items ?? []).map((item) => [item.coupon_id, item]));

  return (
    <section className="coupon-list">
      <div className="page-head">
        <h1>{t("console.list.title")}</h1>
        <Link className="button primary" href="/console/coupons/new">
          {t("console.list.create")}
        </Link>
      </div>
      <Figures overview={overview} />
      {notice && (
        <p className={notice.alert ? "error" : "notice"} role={notice.alert ? "alert" : "status"}>
          {notice.text}
        </p>
      )}
      <ListStatus load={list} empty={t("console.list.none")} />
      {list.data && list.data.items.length > 0 && (
        <DataTable headers={[t("console.list.coupon"), t("console.list.status"), t("console.list.claimWindow"), t("console.list.validity"), t("console.list.inventory"), t("console.list.figuresCol")]}>
          {list.data.items.map((read) => {
            const coupon = rows[read.coupon_id] ?? read;
            const figure = figures.get(coupon.coupon_id);
            return (
              <tr key={coupon.coupon_id}>
                <th scope="row">
                  <Link href={`/console/coupons/${encodeURIComponent(coupon.coupon_id)}`}>{coupon.title}</Link>
                </th>
                <td>
                  <span className={`status status-${coupon.status}`}>{t(`console.status.${coupon.status}`)}</span>
                </td>
                <td colSpan={2}>
                  <InlineWindows key={coupon.version} coupon={coupon} onSaved={saved} onRefused={refused} />
                </td>
                <td>
                  <InlineInventory key={coupon.version} coupon={coupon} onSaved={saved} onRefused={refused} />
                </td>
                <td>{figure ? `${figure.used} / ${percent(figure.redemption_rate, locale)}` : "—"}</td>
              </tr>
            );
          })}
        </DataTable>
      )}
      {list.data?.next && (
        <button type="button" disabled={list.loading} onClick={() => setPages((p) => p + 1)}>
          {t("common.more")}
        </button>
      )}
    </section>
  );
}

function Figures({ overview }: { overview: ReturnType<typeof useLoad<Page<OverviewItem>>> }) {
  const { t, locale } = useLocale();
  const items = overview.data?.items ?? [];
  const claimed = items.reduce((sum, i) => sum + i.claimed, 0);
  const used = items.reduce((sum, i) => sum + i.used, 0);
  const number = (n: number) => new Intl.NumberFormat(locale).format(n);
  return (
    <section className="figures" aria-labelledby="figures-title">
      <h2 id="figures-title">{t("console.list.figures")}</h2>
      {overview.loading && !overview.data && <Loading />}
      {Boolean(overview.error) && <ErrorMessage error={overview.error} onRetry={overview.reload} />}
      {overview.data && (
        <dl className="figure-cards">
          <div>
            <dt>{t("console.list.coupons")}</dt>
            <dd>{number(items.length)}</dd>
          </div>
          <div>
            <dt>{t("console.list.claimed")}</dt>
            <dd>{number(claimed)}</dd>
          </div>
          <div>
            <dt>{t("console.list.used")}</dt>
            <dd>{number(used)}</dd>
          </div>
          <div>
            <dt>{t("console.list.rate")}</dt>
            <dd>{percent(claimed ? used / claimed : null, locale)}</dd>
          </div>
        </dl>
      )}
      {overview.data?.next_token && <p className="hint">{t("console.list.figuresOf", { count: items.length })}</p>}
    </section>
  );
}
