// How the console shows a coupon's figures and windows (in the coupon's zone, the reader's language).
import { formatTime } from "../lib/format";
import type { Page, Validity } from "./types";

export function percent(rate: number | null | undefined, locale: string): string {
  return rate === null || rate === undefined ? "—" : new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(rate);
}

/** A window as text in a zone: "Dec 1, 2026, 9:00 AM – Dec 31, 2026, 11:59 PM GMT+8". */
export function windowText(start: string, end: string, zone: string, locale: string): string {
  return `${formatTime(start, zone, locale, false)} – ${formatTime(end, zone, locale)}`;
}

/** A coupon's validity as text: a window in its zone, or how long it lasts from the claim. */
export function validityText(
  v: Validity,
  zone: string,
  locale: string,
  t: (key: string, vars?: Record<string, string | number>) => string,
): string {
  if (v.type === "fixed") return windowText(v.start, v.end, zone, locale);
  if (v.type === "hours") return t("console.validityText.hours", { hours: v.hours });
  if (v.starts_after_days === 0) return t("console.validityText.days", { days: v.days });
  return t("console.validityText.relative_days", { days: v.days, after: v.starts_after_days });
}

/** The pages a "load more" list has shown, read again in order (each page's token from the one before). */
export async function readPages<T>(count: number, read: (token: string | undefined) => Promise<Page<T>>): Promise<{ items: T[]; next?: string | null }> {
  const items: T[] = [];
  let next: string | null | undefined;
  for (let n = 0; n < count && (n === 0 || next); n++) {
    const page = await read(next ?? undefined);
    items.push(...page.items);
    next = page.next_token;
  }
  return { items, next };
}
