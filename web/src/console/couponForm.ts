// The coupon form's logic, pure: what the inputs hold, the body they make for POST/PATCH /coupons, the checks
// that mirror the API's (required fields, ranges) so most mistakes are shown before a request; the API stays
// the authority, and its 422 is placed at the field it names (apiField).
import { ApiError } from "../lib/api";
import { parseMoney, utcToZoned, zonedToUtc } from "../lib/format";
import type { AudienceType, CodeMode, Coupon, Kind, Terms } from "./types";
import { GIFTABLE_KINDS, MONEY_KINDS } from "./types";
import { extrasOf, NO_EXTRAS, reminderOf, whereOf, type Extras } from "./couponExtras";

export interface FormState extends Extras {
  merchants: string; // platform coupons: the merchants it is usable at
  title: string;
  description: string;
  status: "draft" | "active";
  currency: string;
  time_zone: string;
  kind: Kind;
  percent_off: string;
  max_discount: string; // money, as typed (decimals)
  amount_off: string;
  min_spend: string;
  item: string;
  points: string;
  amount: string;
  generic_terms: string;
  code_mode: CodeMode;
  inventory: string; // empty: unlimited (random_on_claim)
  case_sensitive: boolean;
  allow_short_codes: boolean;
  claim_start: string; // datetime-local in the coupon's zone
  claim_end: string;
  validity_type: "fixed" | "relative_days" | "hours";
  validity_start: string;
  validity_end: string;
  starts_after_days: string;
  days: string;
  hours: string;
  scope_type: "order" | "items";
  products: string; // comma or line separated
  categories: string;
  brands: string;
  audience_type: AudienceType;
  customer_ids: string;
  tags: string;
  segment_id: string;
  per_customer_limit: string;
  per_device_limit: string;
  points_price: string;
  low_stock_threshold: string;
  budget: string;
  channels: string;
  testers: string;
  passphrase: string; // write-only: empty keeps the one set
  giftable: boolean;
  notify_giver: boolean;
  gift_message: string;
  stackable: boolean;
  with_kinds: Kind[];
  staff_confirms_terms: boolean;
  new_customers_only: boolean;
  first_order_only: boolean;
  self_service: boolean;
  verification: "code" | "none";
  verification_code: string; // write-only
  staff_code: string;
}

export type Errors = Record<string, string>;
export type Say = (key: string, vars?: Record<string, string | number>) => string;

const MONEY_MAX = 100_000_000_00;
const MAX_INVENTORY = 10_000_000;
const MAX_GENERATED = 100_000;

export function emptyForm(now: Date, timeZone = "Asia/Shanghai", currency = "CNY"): FormState {
  const start = utcToZoned(new Date(Math.ceil(now.getTime() / 3_600_000) * 3_600_000).toISOString(), timeZone);
  const end = utcToZoned(new Date(now.getTime() + 30 * 86_400_000).toISOString(), timeZone).slice(0, 10) + "T23:59";
  return {
    ...NO_EXTRAS,
    merchants: "",
    title: "",
    description: "",
    status: "draft",
    currency,
    time_zone: timeZone,
    kind: "cash_value",
    percent_off: "",
    max_discount: "",
    amount_off: "",
    min_spend: "",
    item: "",
    points: "",
    amount: "",
    generic_terms: "",
    code_mode: "random_on_claim",
    inventory: "100",
    case_sensitive: true,
    allow_short_codes: false,
    claim_start: start,
    claim_end: end,
    validity_type: "relative_days",
    validity_start: start,
    validity_end: end,
    starts_after_days: "0",
    days: "7",
    hours: "2",
    scope_type: "order",
    products: "",
    categories: "",
    brands: "",
    audience_type: "everyone",
    customer_ids: "",
    tags: "",
    segment_id: "",
    per_customer_limit: "1",
    per_device_limit: "",
    points_price: "",
    low_stock_threshold: "",
    budget: "",
    channels: "",
    testers: "",
    passphrase: "",
    giftable: false,
    notify_giver: false,
    gift_message: "",
    stackable: false,
    with_kinds: [],
    staff_confirms_terms: false,
    new_customers_only: false,
    first_order_only: false,
    self_service: false,
    verification: "code",
    verification_code: "",
    staff_code: "",
  };
}

/** A list typed with commas, spaces or lines. */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,，]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function money(minor: number | null | undefined, currency: string): string {
  if (minor === null || minor === undefined) return "";
  const digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  return (minor / 10 ** digits).toFixed(digits);
}

/** The form of an existing coupon (the edit page): secrets stay empty (set ones are kept unless retyped). */
export function formOf(coupon: Coupon): FormState {
  const zone = coupon.time_zone;
  const state = emptyForm(new Date(), zone, coupon.currency);
  const t = coupon.terms as Terms & Record<string, unknown>;
  const o = coupon.options;
  const v = coupon.validity;
  const str = (n: unknown) => (n === null || n === undefined ? "" : String(n));
  return {
    ...state,
    ...extrasOf(coupon),
    merchants: (coupon.merchants ?? []).join(", "),
    title: coupon.title,
    description: coupon.description,
    status: coupon.status === "draft" ? "draft" : "active",
    kind: coupon.terms.kind,
    percent_off: str(t.percent_off),
    max_discount: money(t.max_discount as number | null, coupon.currency),
    amount_off: money(t.amount_off as number | null, coupon.currency),
    min_spend: money(t.min_spend as number | null, coupon.currency),
    item: str(t.item),
    points: str(t.points),
    amount: money(t.amount as number | null, coupon.currency),
    generic_terms: str(t.terms),
    code_mode: coupon.codes.mode,
    inventory: str(coupon.inventory.total),
    claim_start: utcToZoned(coupon.claim_window.start, zone),
    claim_end: utcToZoned(coupon.claim_window.end, zone),
    validity_type: v.type,
    validity_start: v.type === "fixed" ? utcToZoned(v.start, zone) : state.validity_start,
    validity_end: v.type === "fixed" ? utcToZoned(v.end, zone) : state.validity_end,
    starts_after_days: v.type === "relative_days" ? String(v.starts_after_days) : state.starts_after_days,
    days: v.type === "relative_days" ? String(v.days) : state.days,
    hours: v.type === "hours" ? String(v.hours) : state.hours,
    scope_type: coupon.scope.type,
    products: coupon.scope.type === "items" ? coupon.scope.products.join(", ") : "",
    categories: coupon.scope.type === "items" ? coupon.scope.categories.join(", ") : "",
    brands: coupon.scope.type === "items" ? coupon.scope.brands.join(", ") : "",
    audience_type: coupon.audience_type,
    tags: (coupon.audience_tags ?? []).join(", "),
    segment_id: coupon.audience_segment ?? "",
    per_customer_limit: String(o.per_customer_limit),
    per_device_limit: str(o.per_device_limit),
    points_price: str(o.points_price),
    low_stock_threshold: str(o.low_stock_threshold),
    budget: money(o.budget, coupon.currency),
    channels: o.channels.join(", "),
    testers: o.testers.join(", "),
    giftable: o.giftable,
    notify_giver: o.notify_giver,
    gift_message: o.gift_message ?? "",
    stackable: Boolean(o.stacking?.stackable),
    with_kinds: o.stacking?.stackable ? o.stacking.with_kinds : [],
    staff_confirms_terms: o.staff_confirms_terms,
    new_customers_only: o.new_customers_only,
    first_order_only: o.first_order_only,
    self_service: o.self_service,
    verification: o.self_service_verification ?? "code",
  };
}

export class Checker {
  errors: Errors = {};
  constructor(
    readonly t: Say,
    private readonly currency: string,
  ) {}

  fail(field: string, key: string, vars?: Record<string, string | number>): undefined {
    this.errors[field] ??= this.t(key, vars);
    return undefined;
  }

  required(field: string, text: string): string | undefined {
    return text.trim() ? text.trim() : this.fail(field, "console.form.required");
  }

  int(field: string, text: string, min: number, max: number, optional = false): number | undefined {
    if (optional && !text.trim()) return undefined;
    if (!this.required(field, text)) return undefined;
    const value = Number(text.trim());
    if (!/^-?\d+$/.test(text.trim()) || value < min || value > max) return this.fail(field, "console.form.range", { min, max });
    return value;
  }

  money(field: string, text: string, optional = false): number | undefined {
    if (optional && !text.trim()) return undefined;
    if (!this.required(field, text)) return undefined;
    const value = parseMoney(text, this.currency);
    if (value === null || value < 1 || value > MONEY_MAX) return this.fail(field, "console.form.money", { currency: this.currency });
    return value;
  }

  length(field: string, text: string, min: number, max: number): string | undefined {
    if (text.length < min || text.length > max) return this.fail(field, "console.form.length", { min, max });
    return text;
  }

  storeCode(field: string, text: string): string | undefined {
    if (!/^[0-9]{6,12}$/.test(text.trim())) return this.fail(field, "console.form.storeCodeFormat");
    return text.trim();
  }

  instant(field: string, local: string, zone: string): string | undefined {
    if (!this.required(field, local)) return undefined;
    try {
      return zonedToUtc(local, zone);
    } catch {
      return this.fail(field, "console.form.time");
    }
  }

  window(prefix: string, start: string, end: string, zone: string): { start: string; end: string } | undefined {
    const s = this.instant(`${prefix}.start`, start, zone);
    const e = this.instant(`${prefix}.end`, end, zone);
    if (!s || !e) return undefined;
    if (e <= s) return this.fail(`${prefix}.end`, "console.form.endAfterStart");
    return { start: s, end: e };
  }
}

export function validZone(zone: string): boolean {
  if (!zone.trim()) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

type Body = Record<string, unknown>;

function termsOf(f: FormState, c: Checker): Body {
  switch (f.kind) {
    case "discount": {
      const cap = c.money("terms.max_discount", f.max_discount, true);
      return { kind: "discount", percent_off: c.int("terms.percent_off", f.percent_off, 1, 99), ...(cap ? { max_discount: cap } : {}) };
    }
    case "cash_value": {
      const off = c.money("terms.amount_off", f.amount_off);
      const min = c.money("terms.min_spend", f.min_spend, true);
      if (off && min && off >= min) c.fail("terms.amount_off", "console.form.belowMinSpend");
      return { kind: "cash_value", amount_off: off, ...(min ? { min_spend: min } : {}) };
    }
    case "gift":
      return { kind: "gift", item: c.required("terms.item", f.item) };
    case "points":
      return { kind: "points", points: c.int("terms.points", f.points, 1, 10_000_000) };
    case "cash":
      return { kind: "cash", amount: c.money("terms.amount", f.amount) };
    case "free_shipping":
      return { kind: "free_shipping" };
    case "generic":
      return { kind: "generic", terms: c.required("terms.terms", f.generic_terms) };
  }
}

function codesOf(f: FormState, c: Checker): Body {
  if (f.code_mode === "imported") {
    if (f.kind === "cash") c.fail("codes.mode", "console.form.cashQuantity");
    return { mode: "imported", case_sensitive: f.case_sensitive, allow_short_codes: f.allow_short_codes };
  }
  if (f.code_mode === "generated") return { mode: "generated", inventory: c.int("codes.inventory", f.inventory, 1, MAX_GENERATED) };
  if (f.kind === "cash" && !f.inventory.trim()) c.fail("codes.inventory", "console.form.cashQuantity");
  return { mode: "random_on_claim", inventory: c.int("codes.inventory", f.inventory, 1, MAX_INVENTORY, true) ?? null };
}

function validityOf(f: FormState, c: Checker): Body | undefined {
  if (f.validity_type === "fixed") {
    const window = c.window("validity", f.validity_start, f.validity_end, f.time_zone);
    return window && { type: "fixed", ...window };
  }
  if (f.validity_type === "hours") return { type: "hours", hours: c.int("validity.hours", f.hours, 1, 23) };
  return {
    type: "relative_days",
    starts_after_days: c.int("validity.starts_after_days", f.starts_after_days, 0, 365),
    days: c.int("validity.days", f.days, 1, 3650),
  };
}

function audienceOf(f: FormState, c: Checker): Body {
  if (f.audience_type === "customers") {
    const ids = splitList(f.customer_ids);
    if (!ids.length) c.fail("audience.customer_ids", "console.form.required");
    return { type: "customers", customer_ids: ids };
  }
  if (f.audience_type === "tags") {
    const tags = splitList(f.tags);
    if (!tags.length) c.fail("audience.tags", "console.form.required");
    return { type: "tags", tags };
  }
  if (f.audience_type === "segment") return { type: "segment", segment_id: c.required("audience.segment_id", f.segment_id) };
  return { type: "everyone" };
}

function scopeOf(f: FormState, c: Checker): Body {
  if (f.scope_type === "order") return { type: "order" };
  const scope = { type: "items", products: splitList(f.products), categories: splitList(f.categories), brands: splitList(f.brands) };
  if (!scope.products.length && !scope.categories.length && !scope.brands.length) c.fail("scope.products", "console.form.scopeEmpty");
  return scope;
}

/** The options both a creation and an edit send. */
function editableOptions(f: FormState, c: Checker): Body {
  const options: Body = {
    per_customer_limit: c.int("options.per_customer_limit", f.per_customer_limit, 1, 100),
    giftable: f.giftable,
    notify_giver: f.notify_giver,
    channels: splitList(f.channels),
    testers: splitList(f.testers),
    new_customers_only: f.new_customers_only,
    first_order_only: f.first_order_only,
  };
  if (f.giftable && !GIFTABLE_KINDS.includes(f.kind)) c.fail("options.giftable", "console.form.notGiftable");
  if (f.notify_giver) options.gift_message = c.required("options.gift_message", f.gift_message);
  else if (f.gift_message.trim()) options.gift_message = f.gift_message.trim();
  if (f.passphrase) options.passphrase = c.length("options.passphrase", f.passphrase, 6, 64);
  options.reminder = reminderOf(f, c);
  return options;
}

function createOptions(f: FormState, c: Checker): Body {
  const options: Body = { ...editableOptions(f, c), staff_confirms_terms: f.staff_confirms_terms };
  if (f.stackable) options.stacking = { stackable: true, ...(f.with_kinds.length ? { with_kinds: f.with_kinds } : {}) };
  const device = c.int("options.per_device_limit", f.per_device_limit, 1, 100, true);
  if (device !== undefined) options.per_device_limit = device;
  const points = c.int("options.points_price", f.points_price, 1, 1_000_000, true);
  if (points !== undefined) options.points_price = points;
  const low = c.int("options.low_stock_threshold", f.low_stock_threshold, 1, 10_000_000, true);
  if (low !== undefined) options.low_stock_threshold = low;
  const budget = c.money("options.budget", f.budget, true);
  if (budget !== undefined) {
    if (!MONEY_KINDS.includes(f.kind)) c.fail("options.budget", "console.form.noBudget");
    options.budget = budget;
  }
  if (f.self_service) {
    const self: Body = { enabled: true, verification: f.verification };
    if (f.verification === "code") {
      self.verification_code = c.storeCode("options.self_service.verification_code", f.verification_code);
      if (f.staff_code.trim()) self.staff_code = c.storeCode("options.self_service.staff_code", f.staff_code);
    }
    options.self_service = self;
  }
  return options;
}

function common(f: FormState, c: Checker): Body {
  if (!validZone(f.time_zone)) c.fail("time_zone", "console.form.zone");
  const zoneOk = validZone(f.time_zone);
  return {
    title: c.required("title", f.title) && c.length("title", f.title.trim(), 1, 60),
    description: c.length("description", f.description.trim(), 0, 1000),
    claim_window: zoneOk ? c.window("claim_window", f.claim_start, f.claim_end, f.time_zone) : undefined,
    validity: zoneOk ? validityOf(f, c) : undefined,
    ...whereOf(f, c),
  };
}

/** POST /coupons's body, or the fields the client found wrong (named as the API names them). */
export function createBody(f: FormState, t: Say): { body: Body; errors: Errors } {
  const c = new Checker(t, f.currency);
  if (!/^[A-Z]{3}$/.test(f.currency)) c.fail("currency", "console.form.currency");
  const body: Body = {
    ...common(f, c),
    status: f.status,
    currency: f.currency,
    time_zone: f.time_zone,
    terms: termsOf(f, c),
    codes: codesOf(f, c),
    scope: scopeOf(f, c),
    audience: audienceOf(f, c),
    options: createOptions(f, c),
  };
  const merchants = splitList(f.merchants);
  if (merchants.length) body.merchants = merchants;
  return { body, errors: c.errors };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** PATCH /coupons/{id}'s body: the fields that differ from the coupon as read, with its version. */
export function patchBody(f: FormState, coupon: Coupon, t: Say): { body: Body; errors: Errors } {
  const c = new Checker(t, coupon.currency);
  const was = formOf(coupon);
  const quiet = new Checker(t, coupon.currency); // the coupon as read is valid, whatever the client thinks
  const before: Body = { ...common(was, quiet), options: editableOptions(was, quiet) };
  const after: Body = { ...common(f, c), options: editableOptions(f, c) };
  const body: Body = { version: coupon.version };
  for (const key of ["title", "description", "claim_window", "validity", "stores", "time_frames"]) if (!same(before[key], after[key])) body[key] = after[key];
  const options: Body = {};
  const [a, b] = [after.options as Body, before.options as Body];
  for (const key of Object.keys(a)) if (!same(a[key], b[key])) options[key] = a[key];
  if (Object.keys(options).length) body.options = options;
  if (f.inventory !== was.inventory && coupon.codes.mode !== "imported") {
    body.inventory = c.int("inventory", f.inventory, 0, coupon.codes.mode === "generated" ? MAX_GENERATED : MAX_INVENTORY);
  }
  const add = splitList(f.audience_type === "customers" ? f.customer_ids : "");
  const addTags = splitList(f.tags).filter((tag) => !(coupon.audience_tags ?? []).includes(tag));
  if (add.length || (f.audience_type === "tags" && addTags.length)) {
    body.audience = { add_customer_ids: add, add_tags: f.audience_type === "tags" ? addTags : [] };
  }
  if (f.self_service && f.verification === "code" && f.verification_code.trim()) {
    const codes: Body = { verification_code: c.storeCode("options.self_service.verification_code", f.verification_code) };
    if (f.staff_code.trim()) codes.staff_code = c.storeCode("options.self_service.staff_code", f.staff_code);
    body.options = { ...(body.options as Body | undefined), self_service: codes };
  }
  return { body, errors: c.errors };
}

// Pydantic puts the union's tag in the path: "body.terms.discount.percent_off" is the form's
// "terms.percent_off"; a list's index names the list ("options.channels.0" is "options.channels", and
// "time_frames.0.start" the form's one frame "time_frames.start").
const TAGGED = ["terms", "codes", "validity", "scope", "audience"];

/** The form field an API error names (null when it names none: shown above the form). */
export function apiField(field: string | undefined, message = ""): string | null {
  let path = (field ?? "").split(".");
  if (path[0] === "body") path = path.slice(1);
  if (path.length === 0 || (path.length === 1 && path[0] === "")) {
    // A check across fields answers at the body, its message starting with the field it is about.
    const named = /^([a-z_]+(\.[a-z_]+)*):/.exec(message);
    return named ? apiField(named[1]) : null;
  }
  if (TAGGED.includes(path[0]) && path.length > 2) path = [path[0], ...path.slice(2)];
  path = path.filter((part, n) => n === 0 || !/^\d+$/.test(part)); // the form has one field per list
  if (path[0] === "audience" && path[1] === "add_customer_ids") return "audience.customer_ids";
  if (path[0] === "audience" && path[1] === "add_tags") return "audience.tags";
  return path.join(".");
}

/** The API's error re-aimed at the form's field names (so lib's fieldError/formError place it). */
export function atFormField(error: unknown): unknown {
  if (!(error instanceof ApiError) || error.status !== 422) return error;
  const field = apiField(error.field, error.message) ?? undefined;
  return new ApiError(error.status, error.code, error.message, field, error.details, error.retryAfter);
}
