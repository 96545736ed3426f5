import { expect, it } from "vitest";
import { matchPath } from "./router";

it("matches paths and decodes their parameters", () => {
  expect(matchPath("/c/coupons/:claimId", "/c/coupons/a%2Fb")).toEqual({ claimId: "a/b" });
  expect(matchPath("/c/coupons/:claimId", "/c/coupons/")).toBeNull();
  expect(matchPath("/console/coupons", "/console/coupons/")).toEqual({});
  expect(matchPath("/console/coupons/:id", "/console/stores/x")).toBeNull();
});
