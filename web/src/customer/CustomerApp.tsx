// The customer pages, under /c/: opened from a promotion link, a QR code or a friend's gift; phone first.
import { currentSession } from "../lib/auth";
import { useLocale } from "../lib/i18n";
import { Link, matchPath, useLocation } from "../lib/router";
import { LanguageSwitch } from "../lib/ui";
import { safeNext, SignIn } from "../SignIn";
import { Center } from "./Center";
import { CouponDetail } from "./CouponDetail";
import "./customer.css";
import { GiftAccept } from "./GiftAccept";
import "./messages";
import { MyCoupons } from "./MyCoupons";
import { Offer } from "./Offer";
import { Points } from "./Points";

function route(path: string, query: URLSearchParams) {
  let params: Record<string, string> | null;
  if (matchPath("/c", path)) return <Center />;
  if ((params = matchPath("/c/offers/:couponId", path))) return <Offer couponId={params.couponId} channel={query.get("channel")} />;
  if ((params = matchPath("/c/gifts/:token", path))) return <GiftAccept token={params.token} />;
  const session = currentSession();
  if (matchPath("/c/sign-in", path) || !session || session.role !== "customer") {
    const next = safeNext(query.get("next") ?? path, "/c/me");
    return <SignIn roles={["customer"]} next={next === "/c/sign-in" ? "/c/me" : next} />;
  }
  if (matchPath("/c/me", path)) return <MyCoupons status={query.get("status") ?? "available"} />;
  if ((params = matchPath("/c/me/:claimId", path))) return <CouponDetail claimId={params.claimId} />;
  if (matchPath("/c/points", path)) return <Points programme={query.get("programme")} />;
  return <NotFound />;
}

function NotFound() {
  const { t } = useLocale();
  return (
    <section>
      <h1>{t("customer.notFound")}</h1>
      <Link href="/c/">{t("customer.nav.center")}</Link>
    </section>
  );
}

export function CustomerApp() {
  const { t } = useLocale();
  const { path, query } = useLocation();
  return (
    <div className="customer">
      <header className="topbar">
        <Link href="/c/" className="brand">
          {t("app.name")}
        </Link>
        <LanguageSwitch />
      </header>
      <nav className="tabs" aria-label={t("customer.nav.label")}>
        <Link href="/c/" aria-current={path === "/c/" || path === "/c" ? "page" : undefined}>
          {t("customer.nav.center")}
        </Link>
        <Link href="/c/me" aria-current={path.startsWith("/c/me") ? "page" : undefined}>
          {t("customer.nav.mine")}
        </Link>
        <Link href="/c/points" aria-current={path.startsWith("/c/points") ? "page" : undefined}>
          {t("customer.nav.points")}
        </Link>
      </nav>
      <main>{route(path, query)}</main>
    </div>
  );
}
