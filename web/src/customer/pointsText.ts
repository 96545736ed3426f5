// Pure wording of the points pages (customer and console): an entry's reason, the check-in's answer, what
// expires when. Each answer is a message key and its values, tested without React and shown with `t()`.
import { formatTime } from "../lib/format";
import type { Text } from "./offerText";

export interface Expiring {
  expires_at: string;
  points: number;
}

export interface PointsSummary {
  customer_id: string;
  programme: string;
  balance: number;
  expiring: Expiring[];
  check_in_day?: string | null;
  streak: number;
  time_zone?: string; // the programme's: every time of the ledger is shown in it
  owed?: number; // what take-backs could not take: the next points earned pay it first
}

export interface PointsEntry {
  entry_id: string;
  reason: string;
  points: number;
  at: string;
  expires_at?: string | null;
  shortfall?: number;
  repaid?: number; // of a credit's points, what paid the points owed
  wanted?: number | null;
  by?: string | null;
  note?: string | null;
}

export interface CheckIn {
  programme: string;
  day: string;
  streak: number;
  points: number;
  bonus: number;
  first: boolean;
}

export const REASONS = [
  "order",
  "refund",
  "check_in",
  "streak_bonus",
  "profile_completed",
  "card_bound",
  "invitation_accepted",
  "content_shared",
  "content_posted",
  "birthday",
  "coupon_claim",
  "claim_voided",
  "points_coupon",
  "points_coupon_reversed",
  "adjustment",
  "expiry",
] as const;

/** Why an entry changed the balance, in words (an unknown reason is shown as the API names it). */
export function reasonText(entry: PointsEntry): Text {
  if (entry.reason === "adjustment" && entry.note) return { key: "customer.points.reason.adjustmentNote", vars: { note: entry.note } };
  return (REASONS as readonly string[]).includes(entry.reason) ? { key: `customer.points.reason.${entry.reason}` } : { key: "customer.points.reason.other", vars: { reason: entry.reason } };
}

/** A signed number of points: "+100", "−30" (a true minus sign). */
export function signedPoints(points: number, locale: string): string {
  const text = Math.abs(points).toLocaleString(locale);
  return points < 0 ? `\u2212${text}` : `+${text}`;
}

/** The check-in's answer: the day's points (and its bonus) the first time, "already checked in" after. */
export function checkInText(answer: CheckIn): Text {
  if (!answer.first) return { key: "customer.points.checkIn.already", vars: { streak: answer.streak } };
  if (answer.bonus > 0) return { key: "customer.points.checkIn.bonus", vars: { points: answer.points, bonus: answer.bonus, streak: answer.streak } };
  return { key: "customer.points.checkIn.done", vars: { points: answer.points, streak: answer.streak } };
}

/** What expires when, by the day it expires in the time zone shown (lots expiring the same day added up). */
export function expiryLines(expiring: Expiring[], timeZone: string, locale: string): { when: string; points: number }[] {
  const lines: { when: string; points: number }[] = [];
  for (const lot of expiring) {
    if (lot.points <= 0) continue;
    const when = formatTime(lot.expires_at, timeZone, locale);
    const last = lines[lines.length - 1];
    if (last && last.when === when) last.points += lot.points;
    else lines.push({ when, points: lot.points });
  }
  return lines;
}
