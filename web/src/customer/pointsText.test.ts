import { describe, expect, it } from "vitest";
import { checkInText, expiryLines, reasonText, signedPoints } from "./pointsText";

const entry = { entry_id: "e", points: 5, at: "2026-01-01T00:00:00Z" };

describe("points wording", () => {
  it("names an entry's reason, an adjustment with the merchant's note", () => {
    expect(reasonText({ ...entry, reason: "check_in" })).toEqual({ key: "customer.points.reason.check_in" });
    expect(reasonText({ ...entry, reason: "adjustment", note: "Welcome gift" })).toEqual({
      key: "customer.points.reason.adjustmentNote",
      vars: { note: "Welcome gift" },
    });
    expect(reasonText({ ...entry, reason: "new_thing" })).toEqual({ key: "customer.points.reason.other", vars: { reason: "new_thing" } });
  });

  it("signs points with a true minus", () => {
    expect(signedPoints(1200, "en")).toBe("+1,200");
    expect(signedPoints(-30, "en")).toBe("\u221230");
  });

  it("tells a first check-in, its bonus, and one already made", () => {
    const answer = { programme: "m", day: "2026-01-07", streak: 7, points: 1, bonus: 7, first: true };
    expect(checkInText(answer)).toEqual({ key: "customer.points.checkIn.bonus", vars: { points: 1, bonus: 7, streak: 7 } });
    expect(checkInText({ ...answer, bonus: 0, streak: 2 })).toEqual({ key: "customer.points.checkIn.done", vars: { points: 1, streak: 2 } });
    expect(checkInText({ ...answer, first: false })).toEqual({ key: "customer.points.checkIn.already", vars: { streak: 7 } });
  });

  it("adds up lots expiring at the same time, in the zone shown, and drops spent ones", () => {
    const lines = expiryLines(
      [
        { expires_at: "2026-12-31T15:59:59Z", points: 40 },
        { expires_at: "2026-12-31T15:59:59Z", points: 10 },
        { expires_at: "2027-03-01T00:00:00Z", points: 0 },
        { expires_at: "2027-06-30T16:00:00Z", points: 5 },
      ],
      "Asia/Shanghai",
      "en",
    );
    expect(lines.map((l) => l.points)).toEqual([50, 5]);
    expect(lines[0].when).toContain("Dec 31, 2026");
    expect(lines[0].when).toContain("11:59");
    expect(lines[1].when).toContain("Jul 1, 2027");
  });
});
