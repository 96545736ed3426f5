// Money in the coupon's currency and its minor units, times in the coupon's (or store's) time zone.

/** Digits after the point for a currency, from the platform's own table (JPY 0, CNY 2, KWD 3...). */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** An amount in minor units (cents, fen) shown as money: 1234 CNY -> "¥12.34". */
export function formatMoney(minor: number, currency: string, locale: string): string {
  const digits = minorDigits(currency);
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(minor / 10 ** digits);
}

/** A typed amount ("12.5", "12,50" is refused) to minor units, or null when it is not money in that currency. */
export function parseMoney(text: string, currency: string): number | null {
  const digits = minorDigits(currency);
  const pattern = digits === 0 ? /^\d+$/ : new RegExp(`^\\d+(\\.\\d{1,${digits}})?$`);
  const trimmed = text.trim();
  if (!pattern.test(trimmed)) return null;
  const [whole, fraction = ""] = trimmed.split(".");
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0");
}

/** An instant shown in a time zone (the coupon's, not the browser's), with the zone's name when it differs. */
export function formatTime(iso: string, timeZone: string, locale: string, withZone = true): string {
  // dateStyle/timeStyle refuse timeZoneName (a TypeError): with the zone, the same fields are named one by one.
  const options: Intl.DateTimeFormatOptions = withZone
    ? { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZone, timeZoneName: "short" }
    : { dateStyle: "medium", timeStyle: "short", timeZone };
  return new Intl.DateTimeFormat(locale, options).format(new Date(iso));
}

/** The calendar date of an instant in a time zone, as YYYY-MM-DD. */
export function localDate(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(new Date(iso));
  const part = (type: string) => parts.find((p) => p.type === type)?.value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

/** A wall-clock time typed in a zone ("2026-12-01T09:00" in Asia/Shanghai) to the instant it names, in UTC. */
export function zonedToUtc(local: string, timeZone: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!match) throw new Error("not a local time");
  const [y, mo, d, h, mi] = match.slice(1).map(Number);
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  // The zone's offset at the guess, then once more at the corrected instant (a change of offset between).
  let instant = guess - offsetAt(guess, timeZone);
  instant = guess - offsetAt(instant, timeZone);
  return new Date(instant).toISOString().replace(".000Z", "Z");
}

function offsetAt(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** An instant as the wall-clock value of a datetime-local input in a zone. */
export function utcToZoned(iso: string, timeZone: string): string {
  const instant = new Date(iso).getTime();
  const shifted = new Date(instant + offsetAt(instant, timeZone));
  return shifted.toISOString().slice(0, 16);
}
