// What the customer pages read from the API (the shapes of models/offers.py, coupons.py, claims.py, gifts.py).

import type { Terms } from "../lib/terms";

export type { Terms };

export interface TimeWindow {
  start: string;
  end: string;
}

export type Validity =
  | { type: "fixed"; start: string; end: string }
  | { type: "relative_days"; starts_after_days: number; days: number }
  | { type: "hours"; hours: number };

/** What the offer page and the center both show of an offer. */
export interface OfferBasics {
  coupon_id: string;
  title: string;
  description: string;
  currency: string;
  time_zone: string;
  terms: Terms;
  claim_window: TimeWindow;
  validity: Validity;
  giftable: boolean;
  points_price?: number | null; // claimed for this many points at the coupon's programme
}

/** GET /offers/{couponId}: what anyone may see of an active coupon open to everyone. */
export interface Offer extends OfferBasics {
  sold_out: boolean;
}

export type Stop = "at_limit" | "not_new_customer" | "passphrase_required";

/** One offer of the coupon center (GET /offers, GET /me/offers). */
export interface CenterOffer extends OfferBasics {
  merchant_id: string;
  per_customer_limit: number;
  passphrase_required: boolean;
  held?: number | null;
  stops?: Stop[] | null;
}

export interface Page<T> {
  items: T[];
  next_token?: string | null;
}

export type WalletStatus = "available" | "used" | "expired" | "gifting" | "void";
export const WALLET_STATUSES: WalletStatus[] = ["available", "used", "expired", "gifting", "void"];

/** A claimed coupon as its holder sees it (GET /me/coupons[/{claimId}], a claim's answer). */
export interface ClaimedCoupon {
  claim_id: string;
  coupon_id: string;
  merchant_id: string;
  title: string;
  description: string;
  currency: string;
  terms: Terms;
  status: WalletStatus;
  code: string;
  valid_from: string;
  valid_until: string;
  claimed_at: string;
  self_service: boolean;
  self_service_verification?: "code" | "none" | null;
  giftable: boolean;
  voided_at?: string | null;
  void_reason?: string | null;
  stores?: Record<string, string[]> | null;
  time_zone?: string | null;
}

export interface GiftCreated {
  token: string;
  share_url: string;
  claim_id: string;
  state: string;
  expires_at: string;
}

export type GiftState = "pending" | "accepted" | "cancelled" | "expired";

/** GET /gifts/{token}: what the friend is given, never its code. */
export interface GiftView {
  state: GiftState;
  expires_at: string;
  giver_name: string;
  message?: string | null;
  title: string;
  description: string;
  merchant_id: string;
  currency: string;
  terms: Terms;
  valid_from: string;
  valid_until: string;
  time_zone?: string | null;
}

export interface Redemption {
  redemption_id: string;
  claim_id: string;
  store_id?: string | null;
  redeemed_at?: string;
}
