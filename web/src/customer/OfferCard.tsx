// What a coupon gives, how long it lasts and when it can be claimed: shared by the offer page and the center.
import { addMessages, useLocale } from "../lib/i18n";
import { formatTime } from "../lib/format";
import { say, validityText, valueText } from "./offerText";
import "./points.css";
import type { OfferBasics } from "./types";

addMessages({
  en: {
    "customer.offer.claimWindow": "Claim from {start} to {end}",
    "customer.offer.giftable": "Can be given to a friend",
    "customer.offer.pointsPrice": "Costs {points} points",
  },
  "zh-CN": {
    "customer.offer.claimWindow": "领取时间：{start} 至 {end}",
    "customer.offer.giftable": "可转赠好友",
    "customer.offer.pointsPrice": "需 {points} 积分兑换",
  },
});

export function OfferFacts({ offer }: { offer: OfferBasics }) {
  const { t, locale } = useLocale();
  const when = (iso: string) => formatTime(iso, offer.time_zone, locale);
  const claim = offer.claim_window;
  return (
    <>
      <p className="value">{say(t, valueText(offer.terms, offer.currency, locale))}</p>
      {offer.points_price ? <p className="points-price">{t("customer.offer.pointsPrice", { points: offer.points_price.toLocaleString(locale) })}</p> : null}
      <ul className="facts">
        <li>{t("customer.offer.claimWindow", { start: when(claim.start), end: when(claim.end) })}</li>
        <li>{say(t, validityText(offer.validity, offer.time_zone, locale))}</li>
        {offer.giftable && <li>{t("customer.offer.giftable")}</li>}
      </ul>
    </>
  );
}
