import { describe, expect, it } from "vitest";
import { s3Error, safeFileName } from "./upload";

describe("uploads", () => {
  it("give the API a file name it takes", () => {
    expect(safeFileName("codes.csv")).toBe("codes.csv");
    expect(safeFileName("春季 优惠码 (2).csv")).toBe("2_.csv");
    expect(safeFileName("my codes (final).txt")).toBe("my_codes_final_.txt");
    expect(safeFileName("...")).toBe("codes.csv");
    expect(safeFileName("x".repeat(150) + ".csv")).toHaveLength(100);
    expect(safeFileName("café.csv")).toBe("cafe.csv");
  });

  it("read S3's XML error", () => {
    const body = "<?xml version='1.0'?><Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum allowed size</Message></Error>";
    expect(s3Error(body)).toEqual({ code: "EntityTooLarge", message: "Your proposed upload exceeds the maximum allowed size" });
    expect(s3Error("<html>bad gateway</html>")).toBeNull();
  });
});
