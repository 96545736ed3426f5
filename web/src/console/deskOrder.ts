// The till's order as the desk types it (text fields) and as the API takes it (minor units), with the checks
// a till can make before asking: the API stays the authority on what a coupon takes off.
import { parseMoney } from "../lib/format";

export interface LineDraft {
  sku: string;
  unitPrice: string; // as typed: "12.50"
  quantity: string;
}

export interface OrderLine {
  sku: string;
  unit_price: number;
  quantity: number;
}

export interface Order {
  merchant_id: string;
  currency: string;
  lines: OrderLine[];
}

/** Why a typed line cannot be sent: the line's index and the field ("sku", "unitPrice", "quantity"). */
export interface LineProblem {
  line: number;
  field: keyof LineDraft;
  reason: "required" | "sku" | "money" | "quantity";
}

const SKU = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

export function blankLine(): LineDraft {
  return { sku: "", unitPrice: "", quantity: "1" };
}

function isBlank(line: LineDraft): boolean {
  return !line.sku.trim() && !line.unitPrice.trim();
}

/** The order the lines make, null when every line is blank (no order given), or the first problem found. */
export function buildOrder(
  lines: LineDraft[],
  currency: string,
  merchantId: string,
): { order: Order | null; problem?: undefined } | { order?: undefined; problem: LineProblem } {
  const built: OrderLine[] = [];
  for (const [index, line] of lines.entries()) {
    if (isBlank(line)) continue;
    const sku = line.sku.trim();
    if (!sku) return { problem: { line: index, field: "sku", reason: "required" } };
    if (!SKU.test(sku)) return { problem: { line: index, field: "sku", reason: "sku" } };
    const price = parseMoney(line.unitPrice, currency);
    if (price === null) return { problem: { line: index, field: "unitPrice", reason: "money" } };
    const quantity = Number(line.quantity.trim());
    if (!/^\d+$/.test(line.quantity.trim()) || quantity < 1 || quantity > 10_000)
      return { problem: { line: index, field: "quantity", reason: "quantity" } };
    built.push({ sku, unit_price: price, quantity });
  }
  if (!built.length) return { order: null };
  return { order: { merchant_id: merchantId, currency, lines: built } };
}

/** The order's total in minor units (what the till charges before the coupon). */
export function orderTotal(order: Order): number {
  return order.lines.reduce((sum, line) => sum + line.unit_price * line.quantity, 0);
}

/** The order id a redemption is sent with: the till's own order number, or one made for this redemption
 * (the API returns a till's retry for the same order id as the same redemption instead of a second one). */
export function deskOrderId(typed: string, random: string): string {
  const own = typed.trim();
  return own || `desk-${random.replace(/-/g, "").slice(0, 24)}`;
}
