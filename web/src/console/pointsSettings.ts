// The points programme's settings as the console's form holds them (text per input) and as the API takes
// them (PUT /merchant/points/settings): an empty award is no rule; money per points in the rule's currency.
import { minorDigits, parseMoney } from "../lib/format";

export type ExpiryType = "never" | "after_months" | "end_of_year";

export interface PointsSettings {
  expiry: { type: ExpiryType; months?: number | null };
  earning: {
    order?: { points: number; per_amount: number; currency?: string | null } | null;
    profile_completed?: number | null;
    card_bound?: number | null;
    invitation_accepted?: { inviter: number; invitee: number } | null;
    content_shared?: number | null;
    content_posted?: number | null;
    birthday?: number | null;
  };
  check_in: { daily: number; streak_days: number; streak_bonus: number; enabled: boolean };
  programme?: string;
  time_zone?: string;
  updated_at?: string | null;
  updated_by?: string | null;
}

export const AWARDS = ["profile_completed", "card_bound", "content_shared", "content_posted", "birthday"] as const;
type Award = (typeof AWARDS)[number];

export interface SettingsForm extends Record<Award, string> {
  expiry: ExpiryType;
  months: string;
  orderOn: boolean;
  orderPoints: string;
  orderAmount: string;
  orderCurrency: string;
  inviter: string;
  invitee: string;
  checkInOn: boolean;
  daily: string;
  streakDays: string;
  streakBonus: string;
}

const str = (n: number | null | undefined) => (n === null || n === undefined ? "" : String(n));

export function toForm(s: PointsSettings): SettingsForm {
  const order = s.earning.order;
  const currency = order?.currency ?? "CNY";
  return {
    expiry: s.expiry.type,
    months: str(s.expiry.months),
    orderOn: Boolean(order),
    orderPoints: str(order?.points),
    orderAmount: order ? moneyText(order.per_amount, currency) : "",
    orderCurrency: currency,
    profile_completed: str(s.earning.profile_completed),
    card_bound: str(s.earning.card_bound),
    content_shared: str(s.earning.content_shared),
    content_posted: str(s.earning.content_posted),
    birthday: str(s.earning.birthday),
    inviter: str(s.earning.invitation_accepted?.inviter),
    invitee: str(s.earning.invitation_accepted?.invitee),
    checkInOn: s.check_in.enabled,
    daily: str(s.check_in.daily),
    streakDays: str(s.check_in.streak_days),
    streakBonus: str(s.check_in.streak_bonus),
  };
}

/** Minor units as the plain number typed in the form ("1.00" for 100 CNY), no currency sign. */
function moneyText(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  return digits === 0 ? String(minor) : (minor / 10 ** digits).toFixed(digits);
}

export type Checks = Record<string, string>; // API field path -> message key

/** The body the API takes, or the fields the form refuses before sending (by the API's field path). */
export function toBody(f: SettingsForm): { body?: Omit<PointsSettings, "programme" | "time_zone">; checks: Checks } {
  const checks: Checks = {};
  const whole = (text: string, field: string, required: boolean): number | null => {
    const t = text.trim();
    if (!t) {
      if (required) checks[field] = "required";
      return null;
    }
    if (!/^\d+$/.test(t)) {
      checks[field] = "whole";
      return null;
    }
    return Number(t);
  };
  const months = f.expiry === "after_months" ? whole(f.months, "expiry.months", true) : null;
  const earning: PointsSettings["earning"] = {};
  if (f.orderOn) {
    const points = whole(f.orderPoints, "earning.order.points", true);
    const currency = f.orderCurrency.trim().toUpperCase();
    if (!/^[A-Z]{3}$/.test(currency)) checks["earning.order.currency"] = "currency";
    const perAmount = checks["earning.order.currency"] ? null : parseMoney(f.orderAmount, currency);
    if (perAmount === null && !checks["earning.order.currency"]) checks["earning.order.per_amount"] = f.orderAmount.trim() ? "money" : "required";
    if (points !== null && perAmount !== null) earning.order = { points, per_amount: perAmount, currency };
  }
  for (const award of AWARDS) {
    const value = whole(f[award], `earning.${award}`, false);
    if (value !== null) earning[award] = value;
  }
  const inviter = whole(f.inviter, "earning.invitation_accepted.inviter", Boolean(f.invitee.trim()));
  const invitee = whole(f.invitee, "earning.invitation_accepted.invitee", Boolean(f.inviter.trim()));
  if (inviter !== null && invitee !== null) earning.invitation_accepted = { inviter, invitee };
  const check_in = {
    enabled: f.checkInOn,
    daily: whole(f.daily, "check_in.daily", true) ?? 0,
    streak_days: whole(f.streakDays, "check_in.streak_days", true) ?? 0,
    streak_bonus: whole(f.streakBonus, "check_in.streak_bonus", true) ?? 0,
  };
  if (Object.keys(checks).length) return { checks };
  const expiry = f.expiry === "after_months" ? { type: f.expiry, months } : { type: f.expiry };
  return { body: { expiry, earning, check_in }, checks };
}
