// What a coupon gives, as the API answers it (models/terms.py `Terms`): one shape for both areas.
export type Terms =
  | { kind: "discount"; percent_off: number; max_discount?: number | null }
  | { kind: "cash_value"; amount_off: number; min_spend?: number | null }
  | { kind: "gift"; item: string }
  | { kind: "points"; points: number }
  | { kind: "cash"; amount: number }
  | { kind: "free_shipping" }
  | { kind: "generic"; terms: string };
