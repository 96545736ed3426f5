// The friend's page a share link opens: what is given and by whom (never the code), then Accept after
// signing in; the giver is told they cannot accept their own gift.
import { useState } from "react";
import { api } from "../lib/api";
import { currentSession } from "../lib/auth";
import { formatTime } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { Link, navigate } from "../lib/router";
import { ErrorMessage, Loading, useLoad } from "../lib/ui";
import { giftStop, say, valueText } from "./offerText";
import type { ClaimedCoupon, GiftView } from "./types";

addMessages({
  en: {
    "customer.accept.title": "{name} gives you a coupon",
    "customer.accept.message": "Their message: {message}",
    "customer.accept.window": "Valid from {start} to {end}",
    "customer.accept.until": "Accept it before {end}.",
    "customer.accept.button": "Accept the gift",
    "customer.accept.signIn": "Sign in to accept",
    "customer.accept.busy": "Accepting…",
    "customer.accept.done": "It is yours now, with a code of its own.",
    "customer.accept.open": "Show my coupon",
    "customer.accept.state.accepted": "This gift has already been accepted.",
    "customer.accept.state.cancelled": "The giver cancelled this gift.",
    "customer.accept.state.expired": "This gift link has expired.",
  },
  "zh-CN": {
    "customer.accept.title": "{name} 送您一张券",
    "customer.accept.message": "留言：{message}",
    "customer.accept.window": "有效期：{start} 至 {end}",
    "customer.accept.until": "请在 {end} 前领取。",
    "customer.accept.button": "领取礼物",
    "customer.accept.signIn": "登录后领取",
    "customer.accept.busy": "领取中…",
    "customer.accept.done": "领取成功，此券已归您所有，并有新的券码。",
    "customer.accept.open": "查看我的券",
    "customer.accept.state.accepted": "此礼物已被领取。",
    "customer.accept.state.cancelled": "赠送人已取消此礼物。",
    "customer.accept.state.expired": "此礼物链接已过期。",
  },
});

export function GiftAccept({ token }: { token: string }) {
  const { t, locale } = useLocale();
  const signedIn = currentSession()?.role === "customer";
  const { data, error, loading, reload } = useLoad(
    (signal) => api<GiftView>("GET", `/gifts/${encodeURIComponent(token)}`, { signal, anonymous: true }),
    [token],
  );
  const [accepted, setAccepted] = useState<ClaimedCoupon>();
  const [acceptError, setAcceptError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const accept = async () => {
    if (!signedIn) {
      navigate(`/c/sign-in?next=${encodeURIComponent(location.pathname)}`);
      return;
    }
    setBusy(true);
    setAcceptError(undefined);
    try {
      setAccepted(await api<ClaimedCoupon>("POST", `/gifts/${encodeURIComponent(token)}/accept`));
    } catch (caught) {
      setAcceptError(caught);
    } finally {
      setBusy(false);
    }
  };

  if (loading && !data) return <Loading />;
  if (!data) {
    const known = giftStop(error);
    return known ? <p role="alert">{say(t, known)}</p> : <ErrorMessage error={error} onRetry={reload} />;
  }
  // The coupon's zone (a gift made before it was kept: UTC, named as such), never the browser's.
  const when = (iso: string) => formatTime(iso, data.time_zone || "UTC", locale);
  const known = giftStop(acceptError);
  return (
    <article className="gift card">
      <h1>{t("customer.accept.title", { name: data.giver_name })}</h1>
      {data.message && <p className="message">{t("customer.accept.message", { message: data.message })}</p>}
      <h2>{data.title}</h2>
      <p className="value">{say(t, valueText(data.terms, data.currency, locale))}</p>
      <p>{t("customer.accept.window", { start: when(data.valid_from), end: when(data.valid_until) })}</p>
      {data.description && <p className="terms">{data.description}</p>}
      {accepted ? (
        <div role="status">
          <p>{t("customer.accept.done")}</p>
          <Link className="button primary" href={`/c/me/${accepted.claim_id}`}>
            {t("customer.accept.open")}
          </Link>
        </div>
      ) : data.state !== "pending" ? (
        <p role="alert">{t(`customer.accept.state.${data.state}`)}</p>
      ) : (
        <>
          <p className="hint">{t("customer.accept.until", { end: when(data.expires_at) })}</p>
          {known ? <p role="alert">{say(t, known)}</p> : acceptError !== undefined && <ErrorMessage error={acceptError} />}
          {!known && (
            <button type="button" className="primary" onClick={accept} disabled={busy}>
              {busy ? t("customer.accept.busy") : signedIn ? t("customer.accept.button") : t("customer.accept.signIn")}
            </button>
          )}
        </>
      )}
    </article>
  );
}
