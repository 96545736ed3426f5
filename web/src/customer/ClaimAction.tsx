// The Claim button of an offer: sign-in first, one Idempotency-Key per intent to claim (a retry after a lost
// answer returns the same coupon), the passphrase when the coupon asks one, what stops the claim in words.
import { useRef, useState, type FormEvent } from "react";
import { api } from "../lib/api";
import { currentSession } from "../lib/auth";
import { addMessages, useLocale } from "../lib/i18n";
import { Link, navigate } from "../lib/router";
import { ErrorMessage, Field } from "../lib/ui";
import { Intent } from "./intent";
import { claimStop, say, stopText, type ClaimStop } from "./offerText";
import type { ClaimedCoupon, Stop } from "./types";

addMessages({
  en: {
    "customer.claim.button": "Claim",
    "customer.claim.signIn": "Sign in to claim",
    "customer.claim.busy": "Claiming…",
    "customer.claim.done": "Claimed! It is in your coupons.",
    "customer.claim.open": "Show my coupon",
    "customer.claim.passphrase": "Passphrase",
    "customer.claim.held": "You have {count} of these.",
  },
  "zh-CN": {
    "customer.claim.button": "立即领取",
    "customer.claim.signIn": "登录后领取",
    "customer.claim.busy": "领取中…",
    "customer.claim.done": "领取成功！已放入“我的券”。",
    "customer.claim.open": "查看我的券",
    "customer.claim.passphrase": "口令",
    "customer.claim.held": "您已领取 {count} 张。",
  },
});

export function ClaimAction({
  couponId,
  channel,
  title,
  timeZone,
  limit = 1,
  held,
  stops,
  passphraseRequired = false,
  soldOut = false,
}: {
  couponId: string;
  channel?: string | null;
  title: string;
  timeZone: string;
  limit?: number;
  held?: number | null;
  stops?: Stop[] | null;
  passphraseRequired?: boolean;
  soldOut?: boolean;
}) {
  const { t, locale } = useLocale();
  const session = currentSession();
  const signedIn = session?.role === "customer";
  const [claimed, setClaimed] = useState<ClaimedCoupon>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [askPassphrase, setAskPassphrase] = useState(passphraseRequired);
  const [passphrase, setPassphrase] = useState("");
  // One key per intent to claim: a tap after a lost answer returns the coupon the first tap took.
  const intent = useRef(new Intent()).current;

  const known: ClaimStop | null =
    claimStop(error, timeZone, locale) ??
    (soldOut ? { key: "customer.stop.soldOut", final: true } : null) ??
    (stops?.length ? stopText(stops.find((s) => s !== "passphrase_required") ?? stops[0], limit) : null);
  const blocked = Boolean(known?.final) && !claimed;

  const claim = async (event: FormEvent) => {
    event.preventDefault();
    if (!signedIn) {
      navigate(`/c/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const body = askPassphrase && passphrase ? { passphrase } : undefined;
      const coupon = await api<ClaimedCoupon>("POST", `/coupons/${couponId}/claims`, {
        query: { channel },
        body,
        idempotencyKey: intent.key(),
      });
      intent.settle();
      setClaimed(coupon);
    } catch (caught) {
      intent.settle(caught);
      const stop = claimStop(caught, timeZone, locale);
      if (stop?.passphrase) setAskPassphrase(true);
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  if (claimed) {
    return (
      <div className="claim-done" role="status">
        <p>{t("customer.claim.done")}</p>
        <div className="actions">
          <Link className="button primary" href={`/c/me/${claimed.claim_id}`}>
            {t("customer.claim.open")}
          </Link>
        </div>
      </div>
    );
  }

  return (
    // A group named for the coupon (not a named form: two coupons of one title would be two landmarks alike)
    <form className="claim" onSubmit={claim}>
      <div role="group" aria-label={title} className="claim-group">
      {held ? <p className="hint">{t("customer.claim.held", { count: held })}</p> : null}
      {known ? (
        <p className="stop" role={error ? "alert" : undefined}>
          {say(t, known)}
        </p>
      ) : (
        error !== undefined && <ErrorMessage error={error} />
      )}
      {askPassphrase && signedIn && !blocked && (
        <Field label={t("customer.claim.passphrase")}>
          {(props) => (
            <input {...props} name="passphrase" autoComplete="off" required value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
          )}
        </Field>
      )}
      {!blocked && (
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t("customer.claim.busy") : signedIn ? t("customer.claim.button") : t("customer.claim.signIn")}
        </button>
      )}
      </div>
    </form>
  );
}
