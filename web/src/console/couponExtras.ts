// The coupon form's where and when: the stores it is valid at, a weekly time frame, and the reminder before it
// ends (options.reminder). Pure, like couponForm.ts.
import type { Checker, FormState } from "./couponForm";
import { splitList } from "./couponForm";
import type { Coupon, Reminder, TimeFrame } from "./types";

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const HHMM = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

export interface Extras {
  stores: string; // store ids, empty: every store
  frame_days: string[]; // none ticked: no time frame (always)
  frame_start: string;
  frame_end: string;
  other_frames: TimeFrame[]; // frames past the first, kept as they are on an edit
  reminder: "none" | "hours" | "at";
  reminder_hours: string;
  reminder_at: string;
  reminder_days_before: string;
  reminder_message: string;
}

export const NO_EXTRAS: Extras = {
  stores: "",
  frame_days: [],
  frame_start: "11:00",
  frame_end: "14:00",
  other_frames: [],
  reminder: "none",
  reminder_hours: "24",
  reminder_at: "09:00",
  reminder_days_before: "1",
  reminder_message: "",
};

export function extrasOf(coupon: Coupon): Extras {
  const [first, ...rest] = coupon.time_frames ?? [];
  const r = coupon.options.reminder;
  return {
    stores: Array.isArray(coupon.stores) ? coupon.stores.join(", ") : "",
    frame_days: first ? first.days : [],
    frame_start: first ? first.start : NO_EXTRAS.frame_start,
    frame_end: first ? first.end : NO_EXTRAS.frame_end,
    other_frames: rest,
    reminder: !r ? "none" : r.at ? "at" : "hours",
    reminder_hours: r?.hours_before_expiry ? String(r.hours_before_expiry) : NO_EXTRAS.reminder_hours,
    reminder_at: r?.at ?? NO_EXTRAS.reminder_at,
    reminder_days_before: r?.days_before !== undefined && r?.days_before !== null ? String(r.days_before) : NO_EXTRAS.reminder_days_before,
    reminder_message: r?.message ?? "",
  };
}

/** `stores` and `time_frames` as the API takes them (null: every store, always). */
export function whereOf(f: FormState, c: Checker): { stores: string[] | null; time_frames: TimeFrame[] | null } {
  const stores = splitList(f.stores);
  if (stores.length > 500) c.fail("stores", "console.form.range", { min: 1, max: 500 });
  let frames: TimeFrame[] | null = null;
  if (f.frame_days.length) {
    if (!HHMM.test(f.frame_start)) c.fail("time_frames.start", "console.form.hhmm");
    if (!/^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/.test(f.frame_end)) c.fail("time_frames.end", "console.form.hhmm");
    if (f.frame_start === f.frame_end) c.fail("time_frames.end", "console.form.frameNeverOpens");
    const days = WEEKDAYS.filter((d) => f.frame_days.includes(d));
    frames = [{ days, start: f.frame_start, end: f.frame_end }, ...f.other_frames];
  }
  return { stores: stores.length ? stores : null, time_frames: frames };
}

export function reminderOf(f: FormState, c: Checker): Reminder | null {
  if (f.reminder === "none") return null;
  const message = c.required("options.reminder.message", f.reminder_message) && c.length("options.reminder.message", f.reminder_message.trim(), 1, 200);
  if (f.reminder === "hours") return { hours_before_expiry: c.int("options.reminder.hours_before_expiry", f.reminder_hours, 1, 168), message: message ?? "" };
  if (!HHMM.test(f.reminder_at)) c.fail("options.reminder.at", "console.form.hhmm");
  return { at: f.reminder_at, days_before: c.int("options.reminder.days_before", f.reminder_days_before, 0, 30), message: message ?? "" };
}
