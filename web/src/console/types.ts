// What the coupons API answers (GET /coupons/{id}, models/coupons.py CouponOut) and what the console's pages
// read beside it (the overview's figures, stores, rules, grants, history).

import type { Terms } from "../lib/terms";

export interface Window {
  start: string;
  end: string;
}

export interface Inventory {
  total: number | null; // null: unlimited
  claimed: number;
  remaining: number | null;
}

export type Kind = "discount" | "cash_value" | "gift" | "points" | "cash" | "free_shipping" | "generic";
export const KINDS: readonly Kind[] = ["discount", "cash_value", "gift", "points", "cash", "free_shipping", "generic"];
export const GIFTABLE_KINDS: readonly Kind[] = ["discount", "cash_value", "gift"];
export const MONEY_KINDS: readonly Kind[] = ["discount", "cash_value", "cash", "free_shipping"];

export type { Terms };

export type CodeMode = "random_on_claim" | "generated" | "imported";
export type Codes =
  | { mode: "random_on_claim"; inventory?: number | null }
  | { mode: "generated"; inventory: number }
  | { mode: "imported"; case_sensitive?: boolean; allow_short_codes?: boolean };

export type Validity =
  | { type: "fixed"; start: string; end: string }
  | { type: "relative_days"; starts_after_days: number; days: number }
  | { type: "hours"; hours: number };

export type Scope = { type: "order" } | { type: "items"; products: string[]; categories: string[]; brands: string[] };

export type AudienceType = "everyone" | "customers" | "tags" | "segment";
export type Audience =
  | { type: "everyone" }
  | { type: "customers"; customer_ids: string[] }
  | { type: "tags"; tags: string[] }
  | { type: "segment"; segment_id: string };

export interface Stacking {
  stackable: boolean;
  with_kinds: Kind[];
}

export interface Reminder {
  hours_before_expiry?: number | null;
  at?: string | null;
  days_before?: number | null;
  message: string;
}

export interface TimeFrame {
  days: string[];
  start: string;
  end: string;
}

/** The options as the API answers them (secrets only as whether they are set). */
export interface OptionsOut {
  self_service: boolean;
  self_service_verification: "code" | "none" | null;
  staff_code_required: boolean;
  giftable: boolean;
  notify_giver: boolean;
  gift_message: string | null;
  reminder: Reminder | null;
  per_customer_limit: number;
  channels: string[];
  staff_confirms_terms: boolean;
  stacking: Stacking | null;
  budget: number | null;
  low_stock_threshold: number | null;
  passphrase_required: boolean;
  testers: string[];
  new_customers_only: boolean;
  first_order_only: boolean;
  per_device_limit: number | null;
  points_price?: number | null;
}

export type CouponStatus = "draft" | "active" | "paused" | "deleted";

export interface Coupon {
  coupon_id: string;
  merchant_id: string;
  issuer: "merchant" | "platform";
  merchants?: string[] | null;
  version: number;
  title: string;
  description: string;
  status: CouponStatus;
  currency: string;
  time_zone: string;
  terms: Terms;
  codes: Codes;
  claim_window: Window;
  validity: Validity;
  scope: Scope;
  audience_type: AudienceType;
  audience_tags?: string[] | null;
  audience_segment?: string | null;
  options: OptionsOut;
  shard_count: number;
  has_logo: boolean;
  inventory: Inventory;
  stores?: string[] | Record<string, string[]> | null;
  time_frames?: TimeFrame[] | null;
  created_at: string;
  updated_at: string;
  holders?: "unchanged" | "extending"; // after an edit
}

export interface Page<T> {
  items: T[];
  next_token?: string | null;
}

/** A coupon's key figures (GET /merchant/overview). */
export interface OverviewItem {
  coupon_id: string;
  title: string;
  status: string;
  claimed: number;
  used: number;
  redemption_rate: number | null;
  discount: number;
  order_value: number;
}

export interface Address {
  line1: string;
  line2?: string | null;
  city: string;
  region?: string | null;
  postal_code?: string | null;
  country: string;
}

export interface Store {
  store_id: string;
  merchant_id: string;
  name: string;
  time_zone: string;
  address?: Address | null;
  created_at: string;
  updated_at: string;
}

export interface HistoryEntry {
  version: number;
  at: string;
  by: string;
  fields: string[];
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  holders: string;
}

export interface Grant {
  grant_id: string;
  coupon_id: string;
  status: "awaiting_upload" | "queued" | "running" | "done" | "failed";
  source: { type: string; tag?: string | null; segment_id?: string | null };
  requested: number;
  granted: number;
  skipped: Record<string, number>;
  duplicates: number;
  malformed: number;
  not_reached: { customer_id: string; reason: string }[];
  created_at: string;
  finished_at?: string | null;
  reason?: string | null;
}

export interface Promotion {
  coupon_id: string;
  url: string;
  qr_png_url: string;
  qr_sizes: string[];
  channels: { channel: string; url: string; qr_png_url: string }[];
  logos: string[];
  channel: string | null;
  logo: string;
}
