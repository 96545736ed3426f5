import { describe, expect, it } from "vitest";
import { initialChoice } from "./Promotion";
import type { Promotion } from "./types";

const PROMOTION: Promotion = {
  coupon_id: "c1",
  url: "https://shop.example/c/offers/c1",
  qr_png_url: "https://api.example/coupons/c1/promotion/qr",
  qr_sizes: ["s", "m", "l", "xl", "xxl"],
  channels: [{ channel: "poster", url: "https://shop.example/c/offers/c1?channel=poster", qr_png_url: "q" }],
  logos: ["none", "star", "heart"],
  channel: null,
  logo: "heart",
};

describe("the promotion dialog's first choice", () => {
  it("is the choice kept in the browser where the coupon still offers it", () => {
    expect(initialChoice(PROMOTION, { channel: "poster", sizes: ["xl", "s"], logo: "star" })).toEqual({ channel: "poster", sizes: ["xl", "s"], logo: "star" });
  });

  it("falls back to what the API remembers for a channel or logo the coupon no longer offers", () => {
    expect(initialChoice({ ...PROMOTION, channel: "poster" }, { channel: "flyer", sizes: ["huge"], logo: "custom" })).toEqual({ channel: "poster", sizes: ["m"], logo: "heart" });
    expect(initialChoice(PROMOTION, {})).toEqual({ channel: "", sizes: ["m"], logo: "heart" });
  });
});
