import { describe, expect, it } from "vitest";
import { ApiError } from "../lib/api";
import { apiField, atFormField, createBody, emptyForm, formOf, patchBody, splitList, type FormState } from "./couponForm";
import type { Coupon } from "./types";

const t = (key: string, vars?: Record<string, string | number>) => (vars ? `${key} ${JSON.stringify(vars)}` : key);
const NOW = new Date("2026-11-26T12:10:00Z");

function form(change: Partial<FormState>): FormState {
  return { ...emptyForm(NOW, "Asia/Shanghai", "CNY"), title: "Ten off", amount_off: "10", min_spend: "50.5", ...change };
}

describe("createBody", () => {
  it("makes the API's body: money in minor units, times in the coupon's zone as UTC", () => {
    const { body, errors } = createBody(form({ claim_start: "2026-12-01T09:00", claim_end: "2026-12-31T23:59" }), t);
    expect(errors).toEqual({});
    expect(body.terms).toEqual({ kind: "cash_value", amount_off: 1000, min_spend: 5050 });
    expect(body.claim_window).toEqual({ start: "2026-12-01T01:00:00Z", end: "2026-12-31T15:59:00Z" });
    expect(body.codes).toEqual({ mode: "random_on_claim", inventory: 100 });
    expect(body.audience).toEqual({ type: "everyone" });
    expect((body.options as Record<string, unknown>).per_customer_limit).toBe(1);
  });

  it("takes a currency's own minor units (JPY has none)", () => {
    const { body, errors } = createBody(form({ currency: "JPY", amount_off: "500", min_spend: "3000" }), t);
    expect(errors).toEqual({});
    expect(body.terms).toEqual({ kind: "cash_value", amount_off: 500, min_spend: 3000 });
    expect(createBody(form({ currency: "JPY", amount_off: "5.5" }), t).errors["terms.amount_off"]).toMatch("console.form.money");
  });

  it("mirrors the API's required fields and ranges, naming the fields as the API does", () => {
    const { errors } = createBody(
      form({ title: " ", kind: "discount", percent_off: "100", per_customer_limit: "0", code_mode: "generated", inventory: "100001" }),
      t,
    );
    expect(errors.title).toBe("console.form.required");
    expect(errors["terms.percent_off"]).toMatch("console.form.range");
    expect(errors["options.per_customer_limit"]).toMatch("console.form.range");
    expect(errors["codes.inventory"]).toMatch('"max":100000');
  });

  it("refuses an end before the start, a face value over the minimum spend, a short passphrase", () => {
    const { errors } = createBody(form({ claim_start: "2026-12-02T00:00", claim_end: "2026-12-01T00:00", amount_off: "60", passphrase: "abc" }), t);
    expect(errors["claim_window.end"]).toBe("console.form.endAfterStart");
    expect(errors["terms.amount_off"]).toBe("console.form.belowMinSpend");
    expect(errors["options.passphrase"]).toMatch("console.form.length");
  });

  it("sends the options the merchant set and leaves the others to the API's defaults", () => {
    const { body, errors } = createBody(
      form({ budget: "1000", low_stock_threshold: "5", stackable: true, with_kinds: ["gift"], self_service: true, verification_code: "802714" }),
      t,
    );
    expect(errors).toEqual({});
    const options = body.options as Record<string, unknown>;
    expect(options.budget).toBe(100000);
    expect(options.low_stock_threshold).toBe(5);
    expect(options.stacking).toEqual({ stackable: true, with_kinds: ["gift"] });
    expect(options.self_service).toEqual({ enabled: true, verification: "code", verification_code: "802714" });
    expect(options).not.toHaveProperty("per_device_limit");
    expect(options).not.toHaveProperty("points_price");
  });

  it("prices a coupon in points when asked, a whole number of at least 1", () => {
    expect((createBody(form({ points_price: "300" }), t).body.options as Record<string, unknown>).points_price).toBe(300);
    expect(createBody(form({ points_price: "0" }), t).errors).toHaveProperty(["options.points_price"]);
  });

  it("names a platform coupon's merchants, and sends none for a merchant's own", () => {
    expect(createBody(form({ merchants: "m1, m2" }), t).body.merchants).toEqual(["m1", "m2"]);
    expect(createBody(form({}), t).body).not.toHaveProperty("merchants");
  });

  it("lists split on commas, spaces and lines", () => {
    expect(splitList("a, b\nc，d  ")).toEqual(["a", "b", "c", "d"]);
  });
});

const COUPON: Coupon = {
  coupon_id: "c1",
  merchant_id: "m1",
  issuer: "merchant",
  version: 3,
  title: "Ten off",
  description: "",
  status: "active",
  currency: "CNY",
  time_zone: "Asia/Shanghai",
  terms: { kind: "cash_value", amount_off: 1000, min_spend: 5000 },
  codes: { mode: "random_on_claim", inventory: 100 },
  claim_window: { start: "2026-12-01T01:00:00Z", end: "2026-12-31T15:59:00Z" },
  validity: { type: "relative_days", starts_after_days: 0, days: 7 },
  scope: { type: "order" },
  audience_type: "everyone",
  options: {
    self_service: false,
    self_service_verification: null,
    staff_code_required: false,
    giftable: false,
    notify_giver: false,
    gift_message: null,
    reminder: null,
    per_customer_limit: 1,
    channels: [],
    staff_confirms_terms: false,
    stacking: null,
    budget: null,
    low_stock_threshold: null,
    passphrase_required: false,
    testers: [],
    new_customers_only: false,
    first_order_only: false,
    per_device_limit: null,
  },
  shard_count: 1,
  has_logo: false,
  inventory: { total: 100, claimed: 4, remaining: 96 },
  created_at: "2026-11-26T00:00:00Z",
  updated_at: "2026-11-26T00:00:00Z",
};

describe("patchBody", () => {
  it("reads a coupon back into the form in its zone and currency", () => {
    const state = formOf(COUPON);
    expect(state.amount_off).toBe("10.00");
    expect(state.claim_start).toBe("2026-12-01T09:00");
    expect(state.inventory).toBe("100");
  });

  it("sends only what changed, with the version read", () => {
    const { body, errors } = patchBody({ ...formOf(COUPON), inventory: "150", claim_end: "2027-01-31T23:59", giftable: true }, COUPON, t);
    expect(errors).toEqual({});
    expect(body).toEqual({
      version: 3,
      inventory: 150,
      claim_window: { start: "2026-12-01T01:00:00Z", end: "2027-01-31T15:59:00Z" },
      options: { giftable: true },
    });
    expect(patchBody(formOf(COUPON), COUPON, t).body).toEqual({ version: 3 });
  });
});

describe("apiField", () => {
  it("names the form's field for the API's path", () => {
    expect(apiField("body.terms.discount.percent_off")).toBe("terms.percent_off");
    expect(apiField("body.validity.fixed.end")).toBe("validity.end");
    expect(apiField("body.options.channels.0")).toBe("options.channels");
    expect(apiField("body.time_frames.0.start")).toBe("time_frames.start");
    expect(apiField("options.per_customer_limit")).toBe("options.per_customer_limit");
    expect(apiField("body", "options.giftable: only discount...")).toBe("options.giftable");
    expect(apiField("body", "the body is not JSON")).toBeNull();
    expect(apiField(undefined)).toBeNull();
  });

  it("re-aims only a 422", () => {
    const moved = atFormField(new ApiError(422, "invalid", "m", "body.codes.generated.inventory")) as ApiError;
    expect(moved.field).toBe("codes.inventory");
    const conflict = new ApiError(409, "version_conflict", "m", "version");
    expect(atFormField(conflict)).toBe(conflict);
  });
});

describe("where and when", () => {
  it("sends stores, a weekly frame in the coupon's zone and a reminder; none of them when left empty", () => {
    const { body, errors } = createBody(
      form({ stores: "sh-001, sh-002", frame_days: ["sat", "mon"], frame_start: "11:00", frame_end: "14:00", reminder: "at", reminder_at: "09:00", reminder_days_before: "1", reminder_message: "Ends tomorrow" }),
      t,
    );
    expect(errors).toEqual({});
    expect(body.stores).toEqual(["sh-001", "sh-002"]);
    expect(body.time_frames).toEqual([{ days: ["mon", "sat"], start: "11:00", end: "14:00" }]);
    expect((body.options as Record<string, unknown>).reminder).toEqual({ at: "09:00", days_before: 1, message: "Ends tomorrow" });
    const plain = createBody(form({}), t).body;
    expect(plain.stores).toBeNull();
    expect(plain.time_frames).toBeNull();
  });

  it("refuses a frame that never opens and a reminder without its message", () => {
    const { errors } = createBody(form({ frame_days: ["mon"], frame_start: "10:00", frame_end: "10:00", reminder: "hours", reminder_hours: "200" }), t);
    expect(errors["time_frames.end"]).toBe("console.form.frameNeverOpens");
    expect(errors["options.reminder.message"]).toBe("console.form.required");
    expect(errors["options.reminder.hours_before_expiry"]).toMatch("console.form.range");
  });

  it("an edit removes a reminder with null and keeps the frames past the first", () => {
    const frames = [
      { days: ["mon"], start: "11:00", end: "14:00" },
      { days: ["sun"], start: "18:00", end: "22:00" },
    ];
    const coupon = { ...COUPON, time_frames: frames, options: { ...COUPON.options, reminder: { hours_before_expiry: 24, message: "Soon" } } };
    const { body } = patchBody({ ...formOf(coupon), reminder: "none", frame_end: "15:00" }, coupon, t);
    expect(body).toEqual({ version: 3, options: { reminder: null }, time_frames: [{ days: ["mon"], start: "11:00", end: "15:00" }, frames[1]] });
  });
});
