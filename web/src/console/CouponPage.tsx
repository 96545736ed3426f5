import type { Session } from "../lib/auth";

// Placeholder: built in its own change.
export function CouponPage({ session, couponId, tab }: { session: Session; couponId: string; tab?: string }) {
  void session;
  void couponId;
  void tab;
  return <h1>CouponPage</h1>;
}
