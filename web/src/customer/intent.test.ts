import { describe, expect, it } from "vitest";
import { ApiError } from "../lib/api";
import { Intent } from "./intent";

describe("one key per intent", () => {
  const counting = () => {
    let n = 0;
    return new Intent(() => `k${++n}`);
  };

  it("sends the same key again while the answer is unknown", () => {
    const intent = counting();
    expect(intent.key()).toBe("k1");
    intent.settle(new ApiError(0, "network", "network")); // no answer: the claim may have been taken
    expect(intent.key()).toBe("k1");
    intent.settle(new ApiError(503, "busy", "busy"));
    expect(intent.key()).toBe("k1");
    intent.settle(new ApiError(500, "internal", "x"));
    expect(intent.key()).toBe("k1");
  });

  it("makes a new key after a definite answer", () => {
    const intent = counting();
    intent.key();
    intent.settle(); // the coupon came back
    expect(intent.key()).toBe("k2");
    intent.settle(new ApiError(409, "sold_out", "sold out")); // refused: nothing was taken
    expect(intent.key()).toBe("k3");
    intent.settle(new ApiError(422, "wrong_passphrase", "x"));
    expect(intent.key()).toBe("k4");
  });
});
