import { describe, expect, it } from "vitest";
import { toBody, toForm, type PointsSettings } from "./pointsSettings";

const DEFAULTS: PointsSettings = {
  expiry: { type: "never" },
  earning: {},
  check_in: { daily: 1, streak_days: 7, streak_bonus: 7, enabled: true },
};

describe("points settings form", () => {
  it("sends what it read back unchanged", () => {
    const settings: PointsSettings = {
      expiry: { type: "after_months", months: 12 },
      earning: { order: { points: 1, per_amount: 1000, currency: "CNY" }, birthday: 50, invitation_accepted: { inviter: 20, invitee: 10 } },
      check_in: { daily: 2, streak_days: 5, streak_bonus: 10, enabled: false },
    };
    const form = toForm(settings);
    expect(form.orderAmount).toBe("10.00");
    expect(toBody(form)).toEqual({ body: settings, checks: {} });
  });

  it("reads money per points in the rule's currency (JPY has no minor digits)", () => {
    const form = { ...toForm(DEFAULTS), orderOn: true, orderPoints: "3", orderAmount: "100", orderCurrency: "jpy" };
    expect(toBody(form).body?.earning.order).toEqual({ points: 3, per_amount: 100, currency: "JPY" });
  });

  it("refuses before sending, at the field the API would name", () => {
    const form = { ...toForm(DEFAULTS), expiry: "after_months" as const, orderOn: true, orderPoints: "1.5", orderAmount: "1.234", birthday: "-3", inviter: "5" };
    expect(toBody(form)).toEqual({
      checks: {
        "expiry.months": "required",
        "earning.order.points": "whole",
        "earning.order.per_amount": "money",
        "earning.birthday": "whole",
        "earning.invitation_accepted.invitee": "required",
      },
    });
  });

  it("sends no rule for an empty award and keeps the months only with after_months", () => {
    const form = { ...toForm(DEFAULTS), months: "6", expiry: "end_of_year" as const };
    expect(toBody(form).body).toEqual({ expiry: { type: "end_of_year" }, earning: {}, check_in: DEFAULTS.check_in });
  });
});
