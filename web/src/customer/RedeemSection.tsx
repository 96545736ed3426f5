// Redeem in the store myself: the store I am in (when the coupon names stores) and the store's code (when the
// merchant asks one), then a confirmation, since it uses the coupon up.
import { useRef, useState, type FormEvent } from "react";
import { api, ApiError, newIdempotencyKey } from "../lib/api";
import { formatTime, parseMoney } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { ConfirmDialog, ErrorMessage, Field, fieldError } from "../lib/ui";
import { Intent } from "./intent";
import { zoneOf } from "./MyCoupons";
import { redeemStop, say, storesOf } from "./offerText";
import type { ClaimedCoupon, Redemption } from "./types";

addMessages({
  en: {
    "customer.redeem.title": "Redeem in the store myself",
    "customer.redeem.explain": "Do this at the till, in front of the staff: it uses the coupon.",
    "customer.redeem.store": "Store you are in",
    "customer.redeem.chooseStore": "Choose a store",
    "customer.redeem.code": "Store's code (ask the staff)",
    "customer.redeem.button": "Redeem now",
    "customer.redeem.confirmTitle": "Use this coupon now?",
    "customer.redeem.confirmBody": "Once redeemed, the coupon cannot be used again.",
    "customer.redeem.done": "Redeemed at {time}. Show this screen to the staff.",
    "customer.redeem.total": "Order total ({currency})",
    "customer.redeem.badTotal": "Type the order's total, e.g. 128.50",
    "customer.redeem.staffCode": "Staff code (typed by the staff)",
  },
  "zh-CN": {
    "customer.redeem.title": "到店自助核销",
    "customer.redeem.explain": "请在收银台当着店员的面操作：核销后此券即被使用。",
    "customer.redeem.store": "您所在的门店",
    "customer.redeem.chooseStore": "请选择门店",
    "customer.redeem.code": "门店验证码（请向店员询问）",
    "customer.redeem.button": "立即核销",
    "customer.redeem.confirmTitle": "现在使用此券？",
    "customer.redeem.confirmBody": "核销后，此券不能再次使用。",
    "customer.redeem.done": "已于 {time} 核销，请向店员出示此页面。",
    "customer.redeem.total": "订单金额（{currency}）",
    "customer.redeem.badTotal": "请输入订单金额，例如 128.50",
    "customer.redeem.staffCode": "店员码（由店员输入）",
  },
});

export function RedeemSection({ coupon, onRedeemed }: { coupon: ClaimedCoupon; onRedeemed: () => void }) {
  const { t, locale } = useLocale();
  const stores = storesOf(coupon.stores, coupon.merchant_id);
  const askCode = coupon.self_service_verification !== "none";
  const [store, setStore] = useState(stores?.length === 1 ? stores[0] : "");
  const [code, setCode] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<Redemption>();
  const [total, setTotal] = useState("");
  const [staffCode, setStaffCode] = useState("");
  const [askStaff, setAskStaff] = useState(false);
  const [askTotal, setAskTotal] = useState(coupon.terms.kind === "cash_value" && Boolean(coupon.terms.min_spend));
  const [totalError, setTotalError] = useState<string>();
  // One order id per intent: kept while the answer is unknown, so a retry finds its own redemption.
  const intent = useRef(new Intent(() => `self-${newIdempotencyKey()}`)).current;

  const amount = askTotal ? parseMoney(total, coupon.currency) : null;
  const ask = (event: FormEvent) => {
    event.preventDefault();
    setTotalError(askTotal && amount === null ? t("customer.redeem.badTotal") : undefined);
    if (askTotal && amount === null) return;
    setConfirming(true);
  };

  const redeem = async () => {
    setConfirming(false);
    setBusy(true);
    setError(undefined);
    try {
      const order =
        amount === null
          ? undefined
          : { merchant_id: coupon.merchant_id, currency: coupon.currency, lines: [{ sku: "order-total", unit_price: amount, quantity: 1 }] };
      const body = {
        store_id: store || undefined,
        verification_code: askCode ? code.trim() : undefined,
        staff_code: askStaff ? staffCode.trim() : undefined,
        order_id: intent.key(),
        order,
      };
      const redemption = await api<Redemption>("POST", `/me/coupons/${coupon.claim_id}/redemption`, { body });
      intent.settle();
      setDone(redemption);
      onRedeemed();
    } catch (caught) {
      intent.settle(caught);
      if (caught instanceof ApiError && caught.field === "staff_code") setAskStaff(true);
      if (caught instanceof ApiError && caught.field === "order") setAskTotal(true);
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const known = redeemStop(error);
  const fields = ["store_id", "verification_code", "staff_code"];
  if (done) {
    return (
      <section className="card redeem" aria-labelledby="redeem-heading">
        <h2 id="redeem-heading">{t("customer.redeem.title")}</h2>
        <p role="status" className="done">
          {t("customer.redeem.done", { time: formatTime(done.redeemed_at ?? new Date().toISOString(), zoneOf(coupon), locale) })}
        </p>
      </section>
    );
  }
  return (
    <section className="card redeem" aria-labelledby="redeem-heading">
      <h2 id="redeem-heading">{t("customer.redeem.title")}</h2>
      <p className="hint">{t("customer.redeem.explain")}</p>
      {known ? <p role="alert">{say(t, known)}</p> : error !== undefined && !fields.some((f) => fieldError(error, f)) && <ErrorMessage error={error} />}
      <form onSubmit={ask}>
        {stores && (
          <Field label={t("customer.redeem.store")} error={fieldError(error, "store_id")}>
            {(props) => (
              <select {...props} required value={store} onChange={(e) => setStore(e.target.value)}>
                <option value="">{t("customer.redeem.chooseStore")}</option>
                {stores.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        {askCode && (
          <Field label={t("customer.redeem.code")} error={known ? undefined : fieldError(error, "verification_code")}>
            {(props) => (
              <input {...props} inputMode="numeric" autoComplete="off" required pattern="[0-9]{6,12}" value={code} onChange={(e) => setCode(e.target.value)} />
            )}
          </Field>
        )}
        {askTotal && (
          <Field label={t("customer.redeem.total", { currency: coupon.currency })} error={totalError}>
            {(props) => <input {...props} inputMode="decimal" autoComplete="off" required value={total} onChange={(e) => setTotal(e.target.value)} />}
          </Field>
        )}
        {askStaff && (
          <Field label={t("customer.redeem.staffCode")} error={fieldError(error, "staff_code")}>
            {(props) => (
              <input {...props} inputMode="numeric" autoComplete="off" required value={staffCode} onChange={(e) => setStaffCode(e.target.value)} />
            )}
          </Field>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {t("customer.redeem.button")}
        </button>
      </form>
      <ConfirmDialog
        open={confirming}
        title={t("customer.redeem.confirmTitle")}
        body={<p>{t("customer.redeem.confirmBody")}</p>}
        confirmLabel={t("customer.redeem.button")}
        onConfirm={redeem}
        onCancel={() => setConfirming(false)}
      />
    </section>
  );
}
