import { describe, expect, it } from "vitest";
import { blankLine, buildOrder, deskOrderId, orderTotal } from "./deskOrder";

describe("the desk's order", () => {
  it("is none when every line is blank", () => {
    expect(buildOrder([blankLine(), blankLine()], "CNY", "m1")).toEqual({ order: null });
  });

  it("turns typed prices into the currency's minor units and skips blank lines", () => {
    const built = buildOrder(
      [
        { sku: " tea ", unitPrice: "60", quantity: "2" },
        blankLine(),
        { sku: "cake", unitPrice: "12.5", quantity: "1" },
      ],
      "CNY",
      "m1",
    );
    expect(built.order).toEqual({
      merchant_id: "m1",
      currency: "CNY",
      lines: [
        { sku: "tea", unit_price: 6000, quantity: 2 },
        { sku: "cake", unit_price: 1250, quantity: 1 },
      ],
    });
    expect(orderTotal(built.order!)).toBe(13250);
    expect(buildOrder([{ sku: "ramen", unitPrice: "980", quantity: "1" }], "JPY", "m1").order?.lines[0].unit_price).toBe(980);
  });

  it("names the first line and field that cannot be sent", () => {
    expect(buildOrder([{ sku: "", unitPrice: "5", quantity: "1" }], "CNY", "m1").problem).toEqual({ line: 0, field: "sku", reason: "required" });
    expect(buildOrder([blankLine(), { sku: "a b", unitPrice: "5", quantity: "1" }], "CNY", "m1").problem).toEqual({ line: 1, field: "sku", reason: "sku" });
    expect(buildOrder([{ sku: "tea", unitPrice: "5.123", quantity: "1" }], "CNY", "m1").problem?.reason).toBe("money");
    expect(buildOrder([{ sku: "ramen", unitPrice: "9.80", quantity: "1" }], "JPY", "m1").problem?.reason).toBe("money");
    expect(buildOrder([{ sku: "tea", unitPrice: "5", quantity: "0" }], "CNY", "m1").problem?.field).toBe("quantity");
    expect(buildOrder([{ sku: "tea", unitPrice: "5", quantity: "1.5" }], "CNY", "m1").problem?.field).toBe("quantity");
    expect(buildOrder([{ sku: "tea", unitPrice: "5", quantity: "10001" }], "CNY", "m1").problem?.field).toBe("quantity");
  });

  it("keeps the till's own order number, or makes one for the redemption", () => {
    expect(deskOrderId("  A-1001 ", "ignored")).toBe("A-1001");
    const made = deskOrderId("", "0b9c6f1e-8f2a-4f3b-9c1d-2e3f4a5b6c7d");
    expect(made).toBe("desk-0b9c6f1e8f2a4f3b9c1d2e3f");
    expect(made).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/);
  });
});
