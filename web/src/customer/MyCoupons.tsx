// "My coupons" by status: each coupon's title, what it gives and until when (in its zone), a link to it.
import { api } from "../lib/api";
import { formatTime } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { Link } from "../lib/router";
import { ErrorMessage, Loading } from "../lib/ui";
import { say, valueText } from "./offerText";
import { MorePages, usePages } from "./paging";
import { WALLET_STATUSES, type ClaimedCoupon, type Page, type WalletStatus } from "./types";

addMessages({
  en: {
    "customer.mine.title": "My coupons",
    "customer.mine.tabs": "Coupons by status",
    "customer.mine.until": "Valid until {end}",
    "customer.mine.from": "Usable from {start}",
    "customer.mine.empty": "No coupons here.",
    "customer.mine.toCenter": "Find coupons in the coupon center",
  },
  "zh-CN": {
    "customer.mine.title": "我的券",
    "customer.mine.tabs": "按状态查看",
    "customer.mine.until": "有效期至 {end}",
    "customer.mine.from": "{start} 起可用",
    "customer.mine.empty": "这里还没有券。",
    "customer.mine.toCenter": "去领券中心看看",
  },
});

export function zoneOf(coupon: { time_zone?: string | null }): string {
  return coupon.time_zone || "UTC";
}

export function MyCoupons({ status }: { status: string }) {
  const { t, locale } = useLocale();
  const chosen: WalletStatus = (WALLET_STATUSES as string[]).includes(status) ? (status as WalletStatus) : "available";
  const pages = usePages<ClaimedCoupon>(
    (token, signal) => api<Page<ClaimedCoupon>>("GET", "/me/coupons", { query: { status: chosen, next_token: token }, signal }),
    [chosen],
  );
  const now = Date.now();
  return (
    <section className="mine">
      <h1>{t("customer.mine.title")}</h1>
      <nav className="status-tabs" aria-label={t("customer.mine.tabs")}>
        {WALLET_STATUSES.map((s) => (
          <Link key={s} href={`/c/me?status=${s}`} aria-current={s === chosen ? "page" : undefined}>
            {t(`customer.status.${s}`)}
          </Link>
        ))}
      </nav>
      {pages.loading && !pages.items && <Loading />}
      {pages.error !== undefined && <ErrorMessage error={pages.error} onRetry={pages.reload} />}
      {pages.items?.length === 0 && (
        <p>
          {t("customer.mine.empty")} <Link href="/c/">{t("customer.mine.toCenter")}</Link>
        </p>
      )}
      <ul className="cards">
        {pages.items?.map((coupon) => {
          const zone = zoneOf(coupon);
          const notYet = Date.parse(coupon.valid_from) > now;
          return (
            <li key={coupon.claim_id} className="card">
              <h2>
                <Link href={`/c/me/${coupon.claim_id}`}>{coupon.title}</Link>
              </h2>
              <p className="value">{say(t, valueText(coupon.terms, coupon.currency, locale))}</p>
              <p className="hint">
                {notYet
                  ? t("customer.mine.from", { start: formatTime(coupon.valid_from, zone, locale) })
                  : t("customer.mine.until", { end: formatTime(coupon.valid_until, zone, locale) })}
              </p>
            </li>
          );
        })}
      </ul>
      <MorePages pages={pages} />
    </section>
  );
}
