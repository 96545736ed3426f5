import { describe, expect, it } from "vitest";
import { addDays, axis, daysBetween, perDay, scale } from "./chartScale";

describe("the data tab's days", () => {
  it("move across months, years and leap days", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2028-03-01", -1)).toBe("2028-02-29");
    expect(daysBetween("2026-02-27", "2026-03-02")).toEqual(["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]);
    expect(daysBetween("2026-03-02", "2026-03-01")).toEqual([]);
  });

  it("give every day of the range a value, 0 where the answer has no row", () => {
    const rows = [
      { day: "2026-11-24", claimed: 3 },
      { day: "2026-11-26", claimed: 1 },
      { day: null, claimed: 9 },
    ];
    expect(perDay(rows, "2026-11-23", "2026-11-26", (r) => r.claimed)).toEqual([0, 3, 0, 1]);
  });
});

describe("the charts' axis", () => {
  it("ends at a round number at or above the largest value", () => {
    expect(axis(0)).toEqual({ top: 1, ticks: [0, 1] });
    expect(axis(1)).toEqual({ top: 1, ticks: [0, 1] });
    expect(axis(3)).toEqual({ top: 3, ticks: [0, 1, 2, 3] });
    expect(axis(7)).toEqual({ top: 8, ticks: [0, 2, 4, 6, 8] });
    expect(axis(95)).toEqual({ top: 100, ticks: [0, 50, 100] });
    expect(axis(1234).top).toBe(1500);
    expect(axis(1234).ticks).toEqual([0, 500, 1000, 1500]);
  });

  it("places values inside the axis", () => {
    expect(scale(5, 10, 200)).toBe(100);
    expect(scale(20, 10, 200)).toBe(200);
    expect(scale(-1, 10, 200)).toBe(0);
    expect(scale(3, 0, 200)).toBe(0);
  });
});
