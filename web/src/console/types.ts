// What the coupons API answers (GET /coupons/{id}); the console's coupon pages refine these as they need.
export interface Window {
  start: string;
  end: string;
}

export interface Inventory {
  total: number | null; // null: unlimited
  claimed: number;
  remaining: number | null;
}

export interface Coupon {
  coupon_id: string;
  merchant_id: string;
  issuer: "merchant" | "platform";
  version: number;
  title: string;
  description: string;
  status: "draft" | "active" | "paused" | "deleted";
  currency: string;
  time_zone: string;
  terms: { kind: string; [field: string]: unknown };
  codes: { mode: string; [field: string]: unknown };
  claim_window: Window;
  validity: { [field: string]: unknown };
  scope: { [field: string]: unknown };
  audience_type: "everyone" | "customers" | "tags" | "segment";
  options: { [field: string]: unknown };
  shard_count: number;
  has_logo: boolean;
  inventory: Inventory;
  stores?: string[] | Record<string, string[]> | null;
  created_at: string;
  updated_at: string;
}
