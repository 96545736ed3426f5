// Pure wording of the customer pages: what a coupon gives, how long it lasts, what stops a claim or a gift.
// Each answer is a message key and its values, so it is tested without React and shown with `t()`.
import { ApiError } from "../lib/api";
import { formatMoney, formatTime } from "../lib/format";
import type { Stop, Terms, Validity } from "./types";

export interface Text {
  key: string;
  vars?: Record<string, string | number>;
}

export type Translate = (key: string, vars?: Record<string, string | number>) => string;

export const say = (t: Translate, text: Text): string => t(text.key, text.vars);

/** The "value" line of a coupon: what it gives, in its currency and minor units. */
export function valueText(terms: Terms, currency: string, locale: string): Text {
  const money = (minor: number) => formatMoney(minor, currency, locale);
  switch (terms.kind) {
    case "discount":
      return terms.max_discount
        ? { key: "customer.value.discountUpTo", vars: { percent: terms.percent_off, max: money(terms.max_discount) } }
        : { key: "customer.value.discount", vars: { percent: terms.percent_off } };
    case "cash_value":
      return terms.min_spend
        ? { key: "customer.value.cashValueMin", vars: { amount: money(terms.amount_off), min: money(terms.min_spend) } }
        : { key: "customer.value.cashValue", vars: { amount: money(terms.amount_off) } };
    case "gift":
      return { key: "customer.value.gift", vars: { item: terms.item } };
    case "points":
      return { key: "customer.value.points", vars: { points: terms.points.toLocaleString(locale) } };
    case "cash":
      return { key: "customer.value.cash", vars: { amount: money(terms.amount) } };
    case "free_shipping":
      return { key: "customer.value.freeShipping" };
    case "generic":
      return { key: "customer.value.generic", vars: { terms: terms.terms } };
  }
}

/** How long a claimed coupon lasts, with fixed dates in the coupon's time zone. */
export function validityText(validity: Validity, timeZone: string, locale: string): Text {
  switch (validity.type) {
    case "fixed":
      return {
        key: "customer.validity.fixed",
        vars: { start: formatTime(validity.start, timeZone, locale), end: formatTime(validity.end, timeZone, locale) },
      };
    case "relative_days":
      return validity.starts_after_days === 0
        ? { key: "customer.validity.days", vars: { days: validity.days } }
        : { key: "customer.validity.daysLater", vars: { days: validity.days, after: validity.starts_after_days } };
    case "hours":
      return { key: "customer.validity.hours", vars: { hours: validity.hours } };
  }
}

export interface ClaimStop extends Text {
  passphrase?: boolean; // ask for the coupon's passphrase
  final?: boolean; // trying again will not help
}

/** What stops a claim, in words, from the API's error; null when it is not a refusal of the claim itself. */
export function claimStop(error: unknown, timeZone: string, locale: string): ClaimStop | null {
  if (!(error instanceof ApiError)) return null;
  const details = error.details ?? {};
  const when = (value: unknown) => (typeof value === "string" ? formatTime(value, timeZone, locale) : "");
  switch (error.code) {
    case "sold_out":
      return { key: "customer.stop.soldOut", final: true };
    case "limit_reached":
      return { key: "customer.stop.limit", vars: { limit: Number(details.per_customer_limit ?? 1) }, final: true };
    case "claim_not_started":
      return { key: "customer.stop.notStarted", vars: { start: when(details.starts_at) } };
    case "claim_ended":
    case "never_opens":
      return { key: "customer.stop.ended", final: true };
    case "coupon_paused":
      return { key: "customer.stop.paused" };
    case "not_in_audience":
      return { key: "customer.stop.audience", final: true };
    case "not_new_customer":
      return { key: "customer.stop.newCustomers", final: true };
    case "passphrase_required":
      return { key: "customer.stop.passphrase", passphrase: true };
    case "wrong_passphrase":
      return { key: "customer.stop.wrongPassphrase", vars: { left: Number(details.tries_left ?? 0) }, passphrase: true };
    case "locked":
      return { key: "customer.stop.locked", vars: { seconds: error.retryAfter ?? 900 } };
    case "device_required":
    case "device_limit_reached":
      return { key: "customer.stop.device", final: true };
    case "insufficient_points":
      return { key: "customer.stop.points" };
    case "not_found":
      return { key: "customer.stop.unavailable", final: true };
  }
  return null;
}

/** What the signed-in center says stops a claim now (`stops` of GET /me/offers). */
export function stopText(stop: Stop, limit: number): ClaimStop {
  switch (stop) {
    case "at_limit":
      return { key: "customer.stop.limit", vars: { limit }, final: true };
    case "not_new_customer":
      return { key: "customer.stop.newCustomers", final: true };
    case "passphrase_required":
      return { key: "customer.stop.passphrase", passphrase: true };
  }
}

/** Why a gift cannot be accepted (or given, or cancelled), from the API's error; null for other errors. */
export function giftStop(error: unknown): Text | null {
  if (!(error instanceof ApiError)) return null;
  const known: Record<string, string> = {
    own_gift: "customer.gift.own",
    already_accepted: "customer.gift.alreadyAccepted",
    gift_cancelled: "customer.gift.cancelled",
    gift_expired: "customer.gift.expired",
    expired: "customer.gift.couponExpired",
    not_found: "customer.gift.unknown",
  };
  return known[error.code] ? { key: known[error.code] } : null;
}

/** Why a self-service redemption was refused, from the API's error; null for other errors. */
export function redeemStop(error: unknown): Text | null {
  if (!(error instanceof ApiError)) return null;
  const known: Record<string, string> = {
    wrong_code: "customer.redeem.wrongCode",
    too_many_attempts: "customer.redeem.tooMany",
    locked: "customer.redeem.tooMany",
    slowed_down: "customer.redeem.tooMany",
    store_required: "customer.redeem.storeRequired",
    not_valid_at_store: "customer.redeem.otherStore",
    outside_time_frame: "customer.redeem.outsideHours",
    already_used: "customer.redeem.used",
    expired: "customer.redeem.expired",
    self_service_not_allowed: "customer.redeem.notAllowed",
  };
  return known[error.code] ? { key: known[error.code] } : null;
}

/** The store ids a coupon is usable at for its merchant, or null when it is usable at every store. */
export function storesOf(stores: Record<string, string[]> | null | undefined, merchantId: string): string[] | null {
  if (!stores) return null;
  return stores[merchantId] ?? Object.values(stores).flat();
}
