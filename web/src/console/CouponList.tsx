import type { Session } from "../lib/auth";

// Placeholder: built in its own change.
export function CouponList({ session }: { session: Session }) {
  void session;
  return <h1>CouponList</h1>;
}
