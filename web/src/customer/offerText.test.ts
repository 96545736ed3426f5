import { describe, expect, it } from "vitest";
import { ApiError } from "../lib/api";
import { translate } from "../lib/i18n";
import "./messages";
import { claimStop, giftStop, redeemStop, say, stopText, storesOf, validityText, valueText } from "./offerText";

const en = (key: string, vars?: Record<string, string | number>) => translate("en", key, vars);
const zh = (key: string, vars?: Record<string, string | number>) => translate("zh-CN", key, vars);

describe("the value line", () => {
  it("shows money in the coupon's currency and minor units", () => {
    const tenOffHundred = { kind: "cash_value", amount_off: 1000, min_spend: 10000 } as const;
    expect(say(en, valueText(tenOffHundred, "CNY", "en"))).toBe("CN¥10.00 off orders of CN¥100.00 or more");
    expect(say(zh, valueText(tenOffHundred, "CNY", "zh-CN"))).toBe("满 ¥100.00 减 ¥10.00");
    expect(say(en, valueText({ kind: "cash_value", amount_off: 500 }, "JPY", "en"))).toBe("¥500 off");
    expect(say(en, valueText({ kind: "cash", amount: 1234 }, "KWD", "en")).replace(/\s/g, " ")).toBe("KWD 1.234 to spend");
  });

  it("says every kind of coupon in both languages", () => {
    expect(say(en, valueText({ kind: "discount", percent_off: 15 }, "CNY", "en"))).toBe("15% off");
    expect(say(en, valueText({ kind: "discount", percent_off: 20, max_discount: 5000 }, "USD", "en"))).toBe("20% off, up to $50.00");
    expect(say(zh, valueText({ kind: "discount", percent_off: 20, max_discount: 5000 }, "CNY", "zh-CN"))).toBe("立减 20%，最多 ¥50.00");
    expect(say(en, valueText({ kind: "gift", item: "A coffee" }, "CNY", "en"))).toBe("Free gift: A coffee");
    expect(say(en, valueText({ kind: "points", points: 12000 }, "CNY", "en"))).toBe("12,000 points");
    expect(say(zh, valueText({ kind: "free_shipping" }, "CNY", "zh-CN"))).toBe("免运费");
    expect(say(en, valueText({ kind: "generic", terms: "Two for one" }, "CNY", "en"))).toBe("Two for one");
  });
});

describe("the validity line", () => {
  it("shows fixed dates in the coupon's time zone, not the browser's", () => {
    const fixed = { type: "fixed", start: "2026-12-01T16:00:00Z", end: "2026-12-31T15:59:00Z" } as const;
    const text = say(en, validityText(fixed, "Asia/Shanghai", "en"));
    expect(text).toContain("Dec 2, 2026, 12:00");
    expect(text).toContain("Dec 31, 2026, 11:59");
    expect(text).toContain("GMT+8");
  });

  it("says how long a coupon lasts from its claim", () => {
    expect(say(en, validityText({ type: "relative_days", starts_after_days: 0, days: 30 }, "UTC", "en"))).toBe(
      "Valid for 30 days from claiming",
    );
    expect(say(zh, validityText({ type: "relative_days", starts_after_days: 2, days: 7 }, "UTC", "zh-CN"))).toBe(
      "领取 2 天后生效，有效 7 天",
    );
    expect(say(en, validityText({ type: "hours", hours: 3 }, "UTC", "en"))).toBe("Valid for 3 hours from claiming");
  });
});

describe("what stops a claim", () => {
  const refusal = (status: number, code: string, details?: Record<string, unknown>, retryAfter?: number) =>
    new ApiError(status, code, "the API's words", undefined, details, retryAfter);

  it("names each refusal of the claim API in words", () => {
    expect(say(en, claimStop(refusal(409, "sold_out"), "UTC", "en")!)).toBe("Sold out: every coupon has been claimed.");
    expect(say(en, claimStop(refusal(409, "limit_reached", { per_customer_limit: 2 }), "UTC", "en")!)).toBe(
      "You already have as many as one customer may claim (2).",
    );
    const notYet = claimStop(refusal(409, "claim_not_started", { starts_at: "2026-12-01T01:00:00Z" }), "Asia/Shanghai", "en")!;
    expect(say(en, notYet)).toBe("Claiming opens on Dec 1, 2026, 9:00 AM GMT+8.");
    expect(claimStop(refusal(409, "claim_ended"), "UTC", "en")!.key).toBe("customer.stop.ended");
    expect(claimStop(refusal(403, "not_in_audience"), "UTC", "en")!.final).toBe(true);
    expect(claimStop(refusal(423, "locked", {}, 600), "UTC", "en")!.vars).toEqual({ seconds: 600 });
    expect(say(en, claimStop(refusal(409, "insufficient_points"), "UTC", "en")!)).toBe(
      "You do not have enough points for this coupon yet.",
    );
  });

  it("asks for the passphrase when the coupon wants one, and says how many tries are left", () => {
    expect(claimStop(refusal(403, "passphrase_required"), "UTC", "en")).toMatchObject({ passphrase: true });
    const wrong = claimStop(refusal(422, "wrong_passphrase", { tries_left: 3 }), "UTC", "en")!;
    expect(wrong.passphrase).toBe(true);
    expect(say(zh, wrong)).toBe("口令不对，还可以再试 3 次。");
  });

  it("leaves other errors (the network, a busy service) to the generic message, so the claim can be retried", () => {
    expect(claimStop(new ApiError(0, "network", "network"), "UTC", "en")).toBeNull();
    expect(claimStop(refusal(503, "busy"), "UTC", "en")).toBeNull();
    expect(claimStop(new Error("x"), "UTC", "en")).toBeNull();
  });

  it("says what the signed-in center's stops mean", () => {
    expect(say(en, stopText("at_limit", 1))).toBe("You already have as many as one customer may claim (1).");
    expect(stopText("passphrase_required", 1).passphrase).toBe(true);
  });
});

describe("gifts and redemption", () => {
  it("tells the giver they cannot accept their own gift", () => {
    expect(say(en, giftStop(new ApiError(409, "own_gift", "x"))!)).toBe(
      "This is your own gift: send the link to a friend, who accepts it with their account.",
    );
    expect(giftStop(new ApiError(409, "gift_cancelled", "x"))!.key).toBe("customer.gift.cancelled");
    expect(giftStop(new ApiError(503, "busy", "x"))).toBeNull();
  });

  it("names a wrong store code and the store list", () => {
    expect(redeemStop(new ApiError(422, "wrong_code", "x"))!.key).toBe("customer.redeem.wrongCode");
    expect(storesOf({ m1: ["s1", "s2"] }, "m1")).toEqual(["s1", "s2"]);
    expect(storesOf(null, "m1")).toBeNull();
  });
});
