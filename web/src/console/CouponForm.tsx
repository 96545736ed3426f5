import type { Session } from "../lib/auth";

// Placeholder: built in its own change.
export function CouponForm({ session, couponId }: { session: Session; couponId?: string }) {
  void session;
  void couponId;
  return <h1>CouponForm</h1>;
}
