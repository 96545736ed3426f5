// Give a coupon to a friend: a share link (with its QR code and a copy button) valid for a day, made with one
// Idempotency-Key kept for the session, so the same link can be shown again and its gift cancelled.
import { useEffect, useRef, useState } from "react";
import { api, newIdempotencyKey } from "../lib/api";
import { formatTime } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { ConfirmDialog, ErrorMessage, Field, QrCode } from "../lib/ui";
import { zoneOf } from "./MyCoupons";
import { giftStop, say } from "./offerText";
import type { ClaimedCoupon, GiftCreated } from "./types";

addMessages({
  en: {
    "customer.give.title": "Give to a friend",
    "customer.give.explain": "Make a link for one friend. When they accept it, the coupon moves to their account and yours is gone.",
    "customer.give.make": "Make a share link",
    "customer.give.busy": "Making the link…",
    "customer.give.link": "Share link",
    "customer.give.qr": "QR code of the share link",
    "customer.give.expires": "The link works until {end}.",
    "customer.give.copy": "Copy link",
    "customer.give.copied": "Link copied",
    "customer.give.pending": "This coupon is being given to a friend. Cancel to keep it.",
    "customer.give.cancel": "Cancel the gift",
    "customer.give.cancelTitle": "Cancel this gift?",
    "customer.give.cancelBody": "The link will stop working and the coupon stays yours.",
    "customer.give.cancelled": "The gift is cancelled: the coupon is yours again.",
  },
  "zh-CN": {
    "customer.give.title": "转赠好友",
    "customer.give.explain": "生成一个链接发给一位好友。好友领取后，此券转入好友账户，您的券随之失效。",
    "customer.give.make": "生成分享链接",
    "customer.give.busy": "正在生成链接…",
    "customer.give.link": "分享链接",
    "customer.give.qr": "分享链接的二维码",
    "customer.give.expires": "链接有效期至 {end}。",
    "customer.give.copy": "复制链接",
    "customer.give.copied": "链接已复制",
    "customer.give.pending": "此券正在转赠中。取消转赠即可保留。",
    "customer.give.cancel": "取消转赠",
    "customer.give.cancelTitle": "取消此次转赠？",
    "customer.give.cancelBody": "链接将失效，券仍归您所有。",
    "customer.give.cancelled": "已取消转赠，券已回到您的账户。",
  },
});

const keyOf = (claimId: string) => `coupons.giftKey.${claimId}`;

export function GiftSection({ coupon, onChange }: { coupon: ClaimedCoupon; onChange: () => void }) {
  const { t, locale } = useLocale();
  const [gift, setGift] = useState<GiftCreated>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [cancelled, setCancelled] = useState(false);
  const linkInput = useRef<HTMLInputElement>(null);

  const give = async () => {
    const key = sessionStorage.getItem(keyOf(coupon.claim_id)) ?? newIdempotencyKey();
    sessionStorage.setItem(keyOf(coupon.claim_id), key);
    setBusy(true);
    setError(undefined);
    try {
      setGift(await api<GiftCreated>("POST", `/me/coupons/${coupon.claim_id}/gifts`, { idempotencyKey: key }));
      if (coupon.status !== "gifting") onChange(); // now pending: its code cannot be used meanwhile
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  // Pending and made in this session: the same key answers the same link again.
  const kept = coupon.status === "gifting" && sessionStorage.getItem(keyOf(coupon.claim_id)) !== null;
  useEffect(() => {
    if (kept && !gift) void give();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [kept]);

  const cancel = async () => {
    setConfirming(false);
    if (!gift) return;
    setBusy(true);
    setError(undefined);
    try {
      await api("DELETE", `/me/gifts/${encodeURIComponent(gift.token)}`);
      sessionStorage.removeItem(keyOf(coupon.claim_id));
      setGift(undefined);
      setCancelled(true);
      onChange();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const copy = async () => {
    if (!gift) return;
    try {
      await navigator.clipboard.writeText(gift.share_url);
      setCopied(true);
    } catch {
      linkInput.current?.select(); // no clipboard here: selected, for the phone's own copy
    }
  };

  const known = giftStop(error);
  return (
    <section className="card give" aria-labelledby="give-heading">
      <h2 id="give-heading">{t("customer.give.title")}</h2>
      {cancelled && <p role="status">{t("customer.give.cancelled")}</p>}
      {known ? <p role="alert">{say(t, known)}</p> : error !== undefined && <ErrorMessage error={error} />}
      {gift ? (
        <>
          <Field label={t("customer.give.link")}>
            {(props) => <input {...props} ref={linkInput} readOnly value={gift.share_url} onFocus={(e) => e.target.select()} />}
          </Field>
          <div className="actions">
            <button type="button" className="primary" onClick={copy}>
              {t("customer.give.copy")}
            </button>
            <span role="status">{copied ? t("customer.give.copied") : ""}</span>
          </div>
          <QrCode text={gift.share_url} label={t("customer.give.qr")} size={200} />
          <p className="hint">{t("customer.give.expires", { end: formatTime(gift.expires_at, zoneOf(coupon), locale) })}</p>
          <div className="actions">
            <button type="button" onClick={() => setConfirming(true)} disabled={busy}>
              {t("customer.give.cancel")}
            </button>
          </div>
          <ConfirmDialog
            open={confirming}
            title={t("customer.give.cancelTitle")}
            body={<p>{t("customer.give.cancelBody")}</p>}
            confirmLabel={t("customer.give.cancel")}
            onConfirm={cancel}
            onCancel={() => setConfirming(false)}
          />
        </>
      ) : coupon.status === "gifting" ? (
        <p>{t("customer.give.pending")}</p>
      ) : (
        <>
          <p className="hint">{t("customer.give.explain")}</p>
          <button type="button" onClick={give} disabled={busy}>
            {busy ? t("customer.give.busy") : t("customer.give.make")}
          </button>
        </>
      )}
    </section>
  );
}
