import { describe, expect, it } from "vitest";
import { formatMoney, formatTime, localDate, minorDigits, parseMoney, utcToZoned, zonedToUtc } from "./format";

describe("money", () => {
  it("uses the currency's minor units", () => {
    expect(minorDigits("CNY")).toBe(2);
    expect(minorDigits("JPY")).toBe(0);
    expect(minorDigits("KWD")).toBe(3);
    expect(formatMoney(1234, "CNY", "en")).toBe("CN¥12.34");
    expect(formatMoney(1234, "JPY", "en")).toBe("¥1,234");
    expect(formatMoney(1234, "KWD", "en").replace(/\s/g, " ")).toBe("KWD 1.234");
    expect(formatMoney(500, "CNY", "zh-CN")).toBe("¥5.00");
  });

  it("reads typed amounts into minor units and refuses what is not money", () => {
    expect(parseMoney("12.5", "CNY")).toBe(1250);
    expect(parseMoney(" 7 ", "CNY")).toBe(700);
    expect(parseMoney("1234", "JPY")).toBe(1234);
    expect(parseMoney("12.5", "JPY")).toBeNull();
    expect(parseMoney("12.345", "CNY")).toBeNull();
    expect(parseMoney("-1", "CNY")).toBeNull();
    expect(parseMoney("1e3", "CNY")).toBeNull();
    expect(parseMoney("", "CNY")).toBeNull();
  });
});

describe("time zones", () => {
  const instant = "2026-12-31T16:30:00Z";

  it("shows an instant in the coupon's zone, not the browser's", () => {
    expect(formatTime(instant, "Asia/Shanghai", "en", false)).toBe("Jan 1, 2027, 12:30 AM");
    expect(formatTime(instant, "America/New_York", "en", false)).toBe("Dec 31, 2026, 11:30 AM");
    expect(formatTime(instant, "Asia/Shanghai", "en")).toBe("Jan 1, 2027, 12:30 AM GMT+8");
    expect(localDate(instant, "Asia/Shanghai")).toBe("2027-01-01");
    expect(localDate(instant, "UTC")).toBe("2026-12-31");
  });

  it("turns a wall-clock time typed in a zone into its instant and back", () => {
    expect(zonedToUtc("2027-01-01T00:30", "Asia/Shanghai")).toBe(instant);
    expect(utcToZoned(instant, "Asia/Shanghai")).toBe("2027-01-01T00:30");
    // Across a change of offset: New York on the first Sunday of November 2026 at 09:00 is EST (UTC-5).
    expect(zonedToUtc("2026-11-01T09:00", "America/New_York")).toBe("2026-11-01T14:00:00Z");
    expect(zonedToUtc("2026-07-01T09:00", "America/New_York")).toBe("2026-07-01T13:00:00Z");
  });
});
