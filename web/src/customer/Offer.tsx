// The offer page a promotion URL or its QR code opens: what the coupon gives, its terms and windows in the
// coupon's time zone, whether any are left, and the Claim button.
import { api, ApiError } from "../lib/api";
import { addMessages, useLocale } from "../lib/i18n";
import { Link } from "../lib/router";
import { ErrorMessage, Loading, useLoad } from "../lib/ui";
import { ClaimAction } from "./ClaimAction";
import { OfferFacts } from "./OfferCard";
import type { Offer as OfferData } from "./types";

addMessages({
  en: {
    "customer.offer.title": "Offer",
    "customer.offer.soldOut": "Sold out",
    "customer.offer.inStock": "Still available",
    "customer.offer.gone": "This offer is not available. It may have ended, or be for other customers.",
    "customer.offer.more": "See other offers",
  },
  "zh-CN": {
    "customer.offer.title": "优惠",
    "customer.offer.soldOut": "已抢光",
    "customer.offer.inStock": "尚有余量",
    "customer.offer.gone": "此优惠不可领取：可能已结束，或仅限指定顾客。",
    "customer.offer.more": "看看其他优惠",
  },
});

export function Offer({ couponId, channel }: { couponId: string; channel: string | null }) {
  const { t } = useLocale();
  const { data, error, loading, reload } = useLoad(
    (signal) => api<OfferData>("GET", `/offers/${encodeURIComponent(couponId)}`, { signal, anonymous: true }),
    [couponId],
  );
  if (loading && !data) return <Loading />;
  if (error instanceof ApiError && error.status === 404) {
    return (
      <section>
        <h1>{t("customer.offer.title")}</h1>
        <p role="alert">{t("customer.offer.gone")}</p>
        <Link href="/c/">{t("customer.offer.more")}</Link>
      </section>
    );
  }
  if (error || !data) return <ErrorMessage error={error} onRetry={reload} />;
  return (
    <article className="offer card">
      <h1>{data.title}</h1>
      <OfferFacts offer={data} />
      {data.description && <p className="terms">{data.description}</p>}
      <p className={data.sold_out ? "stock out" : "stock"}>
        {data.sold_out ? t("customer.offer.soldOut") : t("customer.offer.inStock")}
      </p>
      <ClaimAction couponId={data.coupon_id} channel={channel} title={data.title} timeZone={data.time_zone} soldOut={data.sold_out} />
    </article>
  );
}
