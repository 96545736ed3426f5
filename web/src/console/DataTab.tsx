import type { Session } from "../lib/auth";
import type { Coupon } from "./types";

// Placeholder: built in its own change (a tab of the coupon's page).
export function DataTab({ session, coupon }: { session: Session; coupon: Coupon }) {
  void session;
  return <h2>DataTab {coupon.coupon_id}</h2>;
}
