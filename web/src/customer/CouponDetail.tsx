// One of my coupons: its code as text and as a QR code to show at the till, its window in its zone, and what
// its holder can do with it: give it to a friend, or redeem it in the store themselves.
import { useState } from "react";
import { api } from "../lib/api";
import { formatTime } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { Link } from "../lib/router";
import { ErrorMessage, Loading, QrCode, useLoad } from "../lib/ui";
import { GiftSection } from "./GiftSection";
import { zoneOf } from "./MyCoupons";
import { say, valueText } from "./offerText";
import { RedeemSection } from "./RedeemSection";
import type { ClaimedCoupon } from "./types";

addMessages({
  en: {
    "customer.coupon.back": "All my coupons",
    "customer.coupon.status": "Status: {status}",
    "customer.coupon.code": "Code to show at the till",
    "customer.coupon.qr": "QR code of this coupon's code, for the till to scan",
    "customer.coupon.window": "Valid from {start} to {end}",
    "customer.coupon.voided": "Voided by the merchant: {reason}",
  },
  "zh-CN": {
    "customer.coupon.back": "全部我的券",
    "customer.coupon.status": "状态：{status}",
    "customer.coupon.code": "结账时出示的券码",
    "customer.coupon.qr": "此券券码的二维码，供收银扫描",
    "customer.coupon.window": "有效期：{start} 至 {end}",
    "customer.coupon.voided": "商户已作废此券：{reason}",
  },
});

export function CouponDetail({ claimId }: { claimId: string }) {
  const { t, locale } = useLocale();
  const { data, error, loading, reload } = useLoad(
    (signal) => api<ClaimedCoupon>("GET", `/me/coupons/${encodeURIComponent(claimId)}`, { signal }),
    [claimId],
  );
  const [redeemedHere, setRedeemedHere] = useState(false);
  if (loading && !data) return <Loading />;
  if (error || !data) return <ErrorMessage error={error} onRetry={reload} />;
  const zone = zoneOf(data);
  const when = (iso: string) => formatTime(iso, zone, locale);
  return (
    <article className="coupon">
      <p>
        <Link href={`/c/me?status=${data.status}`}>{t("customer.coupon.back")}</Link>
      </p>
      <h1>{data.title}</h1>
      <p className="value">{say(t, valueText(data.terms, data.currency, locale))}</p>
      <p className={`badge ${data.status}`}>{t("customer.coupon.status", { status: t(`customer.status.${data.status}`) })}</p>
      {data.status === "void" && data.void_reason && <p>{t("customer.coupon.voided", { reason: data.void_reason })}</p>}
      {data.status === "available" && (
        <section className="card code-card" aria-labelledby="code-heading">
          <h2 id="code-heading">{t("customer.coupon.code")}</h2>
          <p className="code">{data.code}</p>
          <QrCode text={data.code} label={t("customer.coupon.qr")} size={220} />
        </section>
      )}
      <p>{t("customer.coupon.window", { start: when(data.valid_from), end: when(data.valid_until) })}</p>
      {data.description && <p className="terms">{data.description}</p>}
      {data.giftable && (data.status === "available" || data.status === "gifting") && <GiftSection coupon={data} onChange={reload} />}
      {data.self_service && (data.status === "available" || redeemedHere) && (
        <RedeemSection
          coupon={data}
          onRedeemed={() => {
            setRedeemedHere(true); // its answer stays on screen for the staff to see
            reload();
          }}
        />
      )}
    </article>
  );
}
