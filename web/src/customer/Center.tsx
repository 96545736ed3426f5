// The coupon center: what can be claimed now (signed in: with the customer's audiences, what they hold and
// what stops them), each offer with its Claim button.
import { api } from "../lib/api";
import { currentSession } from "../lib/auth";
import { addMessages, useLocale } from "../lib/i18n";
import { Link } from "../lib/router";
import { ErrorMessage, Loading } from "../lib/ui";
import { ClaimAction } from "./ClaimAction";
import { OfferFacts } from "./OfferCard";
import { MorePages, usePages } from "./paging";
import type { CenterOffer, Page } from "./types";

addMessages({
  en: {
    "customer.center.title": "Coupon center",
    "customer.center.empty": "No coupons to claim right now. Come back soon.",
  },
  "zh-CN": {
    "customer.center.title": "领券中心",
    "customer.center.empty": "暂时没有可领取的券，请稍后再来。",
  },
});

export function Center() {
  const { t } = useLocale();
  const signedIn = currentSession()?.role === "customer";
  const pages = usePages<CenterOffer>(
    (token, signal) =>
      api<Page<CenterOffer>>("GET", signedIn ? "/me/offers" : "/offers", {
        query: { next_token: token },
        signal,
        anonymous: !signedIn,
      }),
    [signedIn],
  );
  return (
    <section className="center">
      <h1>{t("customer.center.title")}</h1>
      {pages.loading && !pages.items && <Loading />}
      {pages.error !== undefined && <ErrorMessage error={pages.error} onRetry={pages.reload} />}
      {pages.items?.length === 0 && <p>{t("customer.center.empty")}</p>}
      <ul className="cards">
        {pages.items?.map((offer) => (
          <li key={offer.coupon_id} className="card">
            <h2>
              <Link href={`/c/offers/${offer.coupon_id}`}>{offer.title}</Link>
            </h2>
            <OfferFacts offer={offer} />
            <ClaimAction
              couponId={offer.coupon_id}
              title={offer.title}
              timeZone={offer.time_zone}
              limit={offer.per_customer_limit}
              held={offer.held}
              stops={offer.stops}
              passphraseRequired={offer.passphrase_required}
            />
          </li>
        ))}
      </ul>
      <MorePages pages={pages} />
    </section>
  );
}
