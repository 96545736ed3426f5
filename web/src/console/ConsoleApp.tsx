// The merchant console and the staff redemption desk, under /console/.
import { currentSession, signOut, type Session } from "../lib/auth";
import { useLocale } from "../lib/i18n";
import { Link, matchPath, navigate, useLocation } from "../lib/router";
import { LanguageSwitch } from "../lib/ui";
import { safeNext, SignIn } from "../SignIn";
import { CouponForm } from "./CouponForm";
import { CouponList } from "./CouponList";
import { CouponPage } from "./CouponPage";
import { Desk } from "./Desk";
import "./messages";
import { PointsPage } from "./PointsPage";
import { Rules } from "./Rules";
import { Stores } from "./Stores";
import "./console.css";

const CONSOLE_ROLES = ["merchant", "staff", "platform"] as const;

function route(path: string, session: Session) {
  if (session.role === "staff") return <Desk session={session} />; // staff have the desk only
  let params: Record<string, string> | null;
  if (matchPath("/console", path) || matchPath("/console/coupons", path)) return <CouponList session={session} />;
  if (matchPath("/console/coupons/new", path)) return <CouponForm session={session} />;
  if ((params = matchPath("/console/coupons/:couponId/edit", path))) return <CouponForm session={session} couponId={params.couponId} />;
  if ((params = matchPath("/console/coupons/:couponId", path))) return <CouponPage session={session} couponId={params.couponId} />;
  if ((params = matchPath("/console/coupons/:couponId/:tab", path)))
    return <CouponPage session={session} couponId={params.couponId} tab={params.tab} />;
  if (matchPath("/console/stores", path)) return <Stores session={session} />;
  if (matchPath("/console/rules", path)) return <Rules session={session} />;
  if (matchPath("/console/points", path)) return <PointsPage session={session} />;
  if (matchPath("/console/desk", path)) return <Desk session={session} />;
  return <NotFound />;
}

function NotFound() {
  const { t } = useLocale();
  return (
    <section>
      <h1>{t("console.notFound")}</h1>
      <Link href="/console/">{t("console.nav.coupons")}</Link>
    </section>
  );
}

export function ConsoleApp() {
  const { t } = useLocale();
  const { path, query } = useLocation();
  const session = currentSession();
  const allowed = session && (CONSOLE_ROLES as readonly string[]).includes(session.role);
  if (matchPath("/console/sign-in", path) || !allowed) {
    const next = safeNext(query.get("next") ?? (allowed ? null : path), "/console/");
    return (
      <div className="console">
        <header className="topbar">
          <span className="brand">{t("console.title")}</span>
          <LanguageSwitch />
        </header>
        <main>
          <SignIn roles={[...CONSOLE_ROLES]} next={next === "/console/sign-in" ? "/console/" : next} />
        </main>
      </div>
    );
  }
  const leave = () => {
    signOut();
    navigate("/console/sign-in", true);
  };
  const links =
    session.role === "staff"
      ? [["/console/desk", "console.nav.desk"]]
      : [
          ["/console/", "console.nav.coupons"],
          ["/console/stores", "console.nav.stores"],
          ["/console/rules", "console.nav.rules"],
          ["/console/points", "console.nav.points"],
          ["/console/desk", "console.nav.desk"],
        ];
  return (
    <div className="console">
      <header className="topbar">
        <span className="brand">{t("console.title")}</span>
        <nav aria-label={t("console.nav.label")}>
          {links.map(([href, key]) => (
            <Link key={href} href={href} aria-current={path === href || (href !== "/console/" && path.startsWith(href)) ? "page" : undefined}>
              {t(key)}
            </Link>
          ))}
        </nav>
        <span className="who">
          {session.name ?? session.user}
          {session.merchantId ? ` · ${session.merchantId}` : ""}
        </span>
        <LanguageSwitch />
        <button type="button" onClick={leave}>
          {t("nav.signOut")}
        </button>
      </header>
      <main>{route(path, session)}</main>
    </div>
  );
}
