// A coupon's page (/console/coupons/:id[/:tab]): its overview (terms, inventory, windows, status actions,
// delete with confirmation) and tabs for promotion, imports, data, grants and history.
import { useState } from "react";
import { api, ApiError } from "../lib/api";
import type { Session } from "../lib/auth";
import { formatMoney } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { Link, navigate } from "../lib/router";
import { ConfirmDialog, ErrorMessage, Loading, useLoad } from "../lib/ui";
import "./coupons.css";
import { DataTab } from "./DataTab";
import { validityText, windowText } from "./display";
import { Grants } from "./Grants";
import { History } from "./History";
import { Imports } from "./Imports";
import { PromotionButton, PromotionPanel } from "./Promotion";
import type { Coupon } from "./types";

addMessages({
  en: {
    "console.coupon.tabs": "Coupon sections",
    "console.coupon.tab.overview": "Overview",
    "console.coupon.tab.promotion": "Promotion",
    "console.coupon.tab.imports": "Imports",
    "console.coupon.tab.data": "Data",
    "console.coupon.tab.grants": "Grants",
    "console.coupon.tab.history": "History",
    "console.coupon.back": "All coupons",
    "console.coupon.edit": "Edit",
    "console.coupon.activate": "Activate",
    "console.coupon.pause": "Pause",
    "console.coupon.resume": "Resume",
    "console.coupon.delete": "Delete coupon",
    "console.coupon.deleteTitle": "Delete “{title}”?",
    "console.coupon.deleteBody": "Nobody can claim it any more. Coupons already claimed stay valid and can still be redeemed.",
    "console.coupon.deleted": "This coupon is deleted: claimed coupons stay valid; nothing else can change.",
    "console.coupon.terms": "What it gives",
    "console.coupon.inventory": "Inventory",
    "console.coupon.claimWindow": "Claim window",
    "console.coupon.validity": "Validity",
    "console.coupon.codes": "Codes",
    "console.coupon.audience": "Audience",
    "console.coupon.perCustomer": "Per customer",
    "console.coupon.zone": "Time zone",
    "console.coupon.giftable": "Can be given",
    "console.coupon.yes": "Yes",
    "console.coupon.no": "No",
    "console.terms.discount": "{percent}% off",
    "console.terms.discountCap": "{percent}% off, at most {cap}",
    "console.terms.cash_value": "{amount} off",
    "console.terms.cash_valueMin": "{amount} off orders from {min}",
    "console.terms.gift": "Gift: {item}",
    "console.terms.points": "{points} points",
    "console.terms.cash": "Cash voucher of {amount}",
    "console.terms.free_shipping": "Free shipping",
  },
  "zh-CN": {
    "console.coupon.tabs": "优惠券栏目",
    "console.coupon.tab.overview": "概览",
    "console.coupon.tab.promotion": "推广",
    "console.coupon.tab.imports": "导入",
    "console.coupon.tab.data": "数据",
    "console.coupon.tab.grants": "发放",
    "console.coupon.tab.history": "修改记录",
    "console.coupon.back": "全部优惠券",
    "console.coupon.edit": "编辑",
    "console.coupon.activate": "启用",
    "console.coupon.pause": "暂停",
    "console.coupon.resume": "恢复",
    "console.coupon.delete": "删除优惠券",
    "console.coupon.deleteTitle": "删除“{title}”？",
    "console.coupon.deleteBody": "删除后无法再领取。已领取的优惠券仍然有效，可以继续核销。",
    "console.coupon.deleted": "这张优惠券已删除：已领取的券仍有效，其他内容不能再修改。",
    "console.coupon.terms": "优惠内容",
    "console.coupon.inventory": "库存",
    "console.coupon.claimWindow": "领取时间",
    "console.coupon.validity": "有效期",
    "console.coupon.codes": "券码",
    "console.coupon.audience": "发放对象",
    "console.coupon.perCustomer": "每人限领",
    "console.coupon.zone": "时区",
    "console.coupon.giftable": "可转赠",
    "console.coupon.yes": "是",
    "console.coupon.no": "否",
    "console.terms.discount": "{percent}% 折扣",
    "console.terms.discountCap": "{percent}% 折扣，最高减 {cap}",
    "console.terms.cash_value": "减 {amount}",
    "console.terms.cash_valueMin": "满 {min} 减 {amount}",
    "console.terms.gift": "赠品：{item}",
    "console.terms.points": "{points} 积分",
    "console.terms.cash": "{amount} 代金券",
    "console.terms.free_shipping": "免运费",
  },
});

const TABS = ["overview", "promotion", "imports", "data", "grants", "history"] as const;

export function termsText(coupon: Coupon, t: (key: string, vars?: Record<string, string | number>) => string, locale: string): string {
  const m = (minor: number) => formatMoney(minor, coupon.currency, locale);
  const terms = coupon.terms;
  switch (terms.kind) {
    case "discount":
      return terms.max_discount ? t("console.terms.discountCap", { percent: terms.percent_off, cap: m(terms.max_discount) }) : t("console.terms.discount", { percent: terms.percent_off });
    case "cash_value":
      return terms.min_spend ? t("console.terms.cash_valueMin", { amount: m(terms.amount_off), min: m(terms.min_spend) }) : t("console.terms.cash_value", { amount: m(terms.amount_off) });
    case "gift":
      return t("console.terms.gift", { item: terms.item });
    case "points":
      return t("console.terms.points", { points: terms.points });
    case "cash":
      return t("console.terms.cash", { amount: m(terms.amount) });
    case "free_shipping":
      return t("console.terms.free_shipping");
    case "generic":
      return terms.terms;
  }
}

export function CouponPage({ session, couponId, tab }: { session: Session; couponId: string; tab?: string }) {
  const { t } = useLocale();
  const loaded = useLoad((signal) => api<Coupon>("GET", `/coupons/${encodeURIComponent(couponId)}`, { signal }), [couponId]);
  const coupon = loaded.data;
  const current = (TABS as readonly string[]).includes(tab ?? "") ? tab : "overview";
  const base = `/console/coupons/${encodeURIComponent(couponId)}`;
  return (
    <section className="coupon-page">
      <p>
        <Link href="/console/">← {t("console.coupon.back")}</Link>
      </p>
      {loaded.loading && !coupon && <Loading />}
      {Boolean(loaded.error) && <ErrorMessage error={loaded.error} onRetry={loaded.reload} />}
      {coupon && (
        <>
          <div className="page-head">
            <h1>{coupon.title}</h1>
            <span className={`status status-${coupon.status}`}>{t(`console.status.${coupon.status}`)}</span>
            {coupon.status !== "deleted" && <PromotionButton coupon={coupon} />}
          </div>
          <nav className="tabs" aria-label={t("console.coupon.tabs")}>
            {TABS.map((name) => (
              <Link key={name} href={name === "overview" ? base : `${base}/${name}`} aria-current={current === name ? "page" : undefined}>
                {t(`console.coupon.tab.${name}`)}
              </Link>
            ))}
          </nav>
          {current === "overview" && <Overview coupon={coupon} onChanged={loaded.reload} />}
          {current === "promotion" && <PromotionPanel coupon={coupon} />}
          {current === "imports" && <Imports session={session} coupon={coupon} />}
          {current === "data" && <DataTab session={session} coupon={coupon} />}
          {current === "grants" && <Grants coupon={coupon} />}
          {current === "history" && <History coupon={coupon} />}
        </>
      )}
    </section>
  );
}

function Overview({ coupon, onChanged }: { coupon: Coupon; onChanged: () => void }) {
  const { t, locale } = useLocale();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [confirming, setConfirming] = useState(false);
  const zone = coupon.time_zone;
  const path = `/coupons/${encodeURIComponent(coupon.coupon_id)}`;
  const act = async (run: () => Promise<unknown>, after: () => void) => {
    setBusy(true);
    setError(undefined);
    try {
      await run();
      after();
    } catch (caught) {
      setError(caught);
      if (caught instanceof ApiError && caught.status === 409) onChanged();
    } finally {
      setBusy(false);
    }
  };
  const setStatus = (status: "active" | "paused") => act(() => api("PATCH", path, { body: { version: coupon.version, status } }), onChanged);
  const remove = () => {
    setConfirming(false);
    act(() => api("DELETE", path), () => navigate("/console/"));
  };
  const inv = coupon.inventory;
  const v = coupon.validity;
  const rows: [string, string][] = [
    [t("console.coupon.terms"), termsText(coupon, t, locale)],
    [t("console.coupon.inventory"), inv.total === null ? t("console.list.stockUnlimited", { claimed: inv.claimed }) : t("console.list.stock", { claimed: inv.claimed, remaining: inv.remaining ?? 0, total: inv.total })],
    [t("console.coupon.claimWindow"), windowText(coupon.claim_window.start, coupon.claim_window.end, zone, locale)],
    [
      t("console.coupon.validity"),
      validityText(v, zone, locale, t),
    ],
    [t("console.coupon.codes"), t(`console.codeMode.${coupon.codes.mode}`)],
    [t("console.coupon.audience"), t(`console.audience.${coupon.audience_type}`)],
    [t("console.coupon.perCustomer"), String(coupon.options.per_customer_limit)],
    [t("console.coupon.giftable"), coupon.options.giftable ? t("console.coupon.yes") : t("console.coupon.no")],
    [t("console.coupon.zone"), zone],
  ];
  return (
    <div className="card">
      {coupon.description && <p>{coupon.description}</p>}
      <dl className="facts">
        {rows.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {Boolean(error) && <ErrorMessage error={error} />}
      {coupon.status === "deleted" ? (
        <p role="status">{t("console.coupon.deleted")}</p>
      ) : (
        <div className="actions">
          <Link className="button" href={`/console/coupons/${encodeURIComponent(coupon.coupon_id)}/edit`}>
            {t("console.coupon.edit")}
          </Link>
          {coupon.status === "draft" && (
            <button type="button" disabled={busy} onClick={() => setStatus("active")}>
              {t("console.coupon.activate")}
            </button>
          )}
          {coupon.status === "active" && (
            <button type="button" disabled={busy} onClick={() => setStatus("paused")}>
              {t("console.coupon.pause")}
            </button>
          )}
          {coupon.status === "paused" && (
            <button type="button" disabled={busy} onClick={() => setStatus("active")}>
              {t("console.coupon.resume")}
            </button>
          )}
          <button type="button" className="danger" disabled={busy} onClick={() => setConfirming(true)}>
            {t("console.coupon.delete")}
          </button>
        </div>
      )}
      <ConfirmDialog
        open={confirming}
        title={t("console.coupon.deleteTitle", { title: coupon.title })}
        body={<p>{t("console.coupon.deleteBody")}</p>}
        confirmLabel={t("common.delete")}
        onConfirm={remove}
        onCancel={() => setConfirming(false)}
      />
    </div>
  );
}
