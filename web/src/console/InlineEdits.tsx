// Edits in the coupon list's cells: the inventory's total, the claim window and the validity. Each sends
// PATCH /coupons/{id} with the version read; the list decides what a version conflict does.
import { useState, type FormEvent, type ReactNode } from "react";
import { api } from "../lib/api";
import { utcToZoned } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { ErrorMessage, Field, fieldError } from "../lib/ui";
import { atFormField, Checker } from "./couponForm";
import { validityText, windowText } from "./display";
import type { Coupon } from "./types";

addMessages({
  en: {
    "console.inline.editInventory": "Edit inventory of {title}",
    "console.inline.editWindows": "Edit dates of {title}",
    "console.inline.total": "Inventory total",
    "console.inline.claimStart": "Claim opens",
    "console.inline.claimEnd": "Claim closes",
    "console.inline.validFrom": "Valid from",
    "console.inline.validUntil": "Valid until",
    "console.inline.days": "Valid days",
    "console.inline.hours": "Valid hours",
    "console.inline.fixed": "Set at creation",
  },
  "zh-CN": {
    "console.inline.editInventory": "编辑“{title}”的库存",
    "console.inline.editWindows": "编辑“{title}”的时间",
    "console.inline.total": "库存总量",
    "console.inline.claimStart": "领取开始",
    "console.inline.claimEnd": "领取结束",
    "console.inline.validFrom": "生效时间",
    "console.inline.validUntil": "失效时间",
    "console.inline.days": "有效天数",
    "console.inline.hours": "有效小时数",
    "console.inline.fixed": "创建时已确定",
  },
});

interface Props {
  coupon: Coupon;
  onSaved(coupon: Coupon): void;
  onRefused(coupon: Coupon, error: unknown): boolean; // true: handled (the editor closes)
}

function useEditor({ coupon, onSaved, onRefused }: Props) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [checks, setChecks] = useState<Record<string, string>>({});
  async function save(body: Record<string, unknown>, found: Record<string, string>) {
    setChecks(found);
    setError(undefined);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const edited = await api<Coupon>("PATCH", `/coupons/${encodeURIComponent(coupon.coupon_id)}`, { body: { version: coupon.version, ...body } });
      setOpen(false);
      onSaved(edited);
    } catch (caught) {
      if (onRefused(coupon, caught)) setOpen(false);
      else setError(atFormField(caught));
    } finally {
      setBusy(false);
    }
  }
  const at = (field: string) => checks[field] ?? fieldError(error, field);
  return { open, setOpen, busy, error, save, at };
}

function Editor({ label, editor, summary, onSubmit, children, fields }: {
  label: string;
  editor: ReturnType<typeof useEditor>;
  summary: ReactNode;
  onSubmit(): void;
  children: ReactNode;
  fields: string[];
}) {
  const { t } = useLocale();
  if (!editor.open)
    return (
      <div className="inline-cell">
        <span>{summary}</span>
        <button type="button" className="small" aria-label={label} onClick={() => editor.setOpen(true)}>
          ✎
        </button>
      </div>
    );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
  };
  const above = editor.error && !fields.some((f) => fieldError(editor.error, f)) ? editor.error : undefined;
  return (
    <form className="inline-edit" onSubmit={submit} aria-label={label} noValidate>
      {Boolean(above) && <ErrorMessage error={above} />}
      {children}
      <div className="actions">
        <button type="submit" disabled={editor.busy}>
          {t("common.save")}
        </button>
        <button type="button" onClick={() => editor.setOpen(false)}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}

export function InlineInventory(props: Props) {
  const { t, locale } = useLocale();
  const { coupon } = props;
  const editor = useEditor(props);
  const [total, setTotal] = useState(String(coupon.inventory.total ?? ""));
  const inv = coupon.inventory;
  const number = (n: number) => new Intl.NumberFormat(locale).format(n);
  const summary =
    inv.total === null
      ? t("console.list.stockUnlimited", { claimed: number(inv.claimed) })
      : t("console.list.stock", { claimed: number(inv.claimed), remaining: number(inv.remaining ?? 0), total: number(inv.total) });
  const editable = coupon.status !== "deleted" && inv.total !== null && coupon.codes.mode !== "imported" && coupon.terms.kind !== "cash";
  if (!editable) return <span>{summary}</span>;
  const submit = () => {
    const c = new Checker(t, coupon.currency);
    const value = c.int("inventory", total, inv.claimed, coupon.codes.mode === "generated" ? 100_000 : 10_000_000);
    editor.save({ inventory: value }, c.errors);
  };
  return (
    <Editor label={t("console.inline.editInventory", { title: coupon.title })} editor={editor} summary={summary} onSubmit={submit} fields={["inventory"]}>
      <Field label={t("console.inline.total")} error={editor.at("inventory")}>
        {(p) => <input {...p} inputMode="numeric" value={total} onChange={(e) => setTotal(e.target.value)} />}
      </Field>
    </Editor>
  );
}

export function InlineWindows(props: Props) {
  const { t, locale } = useLocale();
  const { coupon } = props;
  const zone = coupon.time_zone;
  const editor = useEditor(props);
  const v = coupon.validity;
  const [claim, setClaim] = useState({ start: utcToZoned(coupon.claim_window.start, zone), end: utcToZoned(coupon.claim_window.end, zone) });
  const [fixed, setFixed] = useState(v.type === "fixed" ? { start: utcToZoned(v.start, zone), end: utcToZoned(v.end, zone) } : { start: "", end: "" });
  const [length, setLength] = useState(v.type === "relative_days" ? String(v.days) : v.type === "hours" ? String(v.hours) : "");
  const summary = (
    <span className="windows">
      <span>{windowText(coupon.claim_window.start, coupon.claim_window.end, zone, locale)}</span>
      <span>{validityText(v, zone, locale, t)}</span>
    </span>
  );
  if (coupon.status === "deleted") return summary;
  const submit = () => {
    const c = new Checker(t, coupon.currency);
    const body: Record<string, unknown> = { claim_window: c.window("claim_window", claim.start, claim.end, zone) };
    if (v.type === "fixed") body.validity = { type: "fixed", ...c.window("validity", fixed.start, fixed.end, zone) };
    if (v.type === "relative_days") body.validity = { ...v, days: c.int("validity.days", length, 1, 3650) };
    if (v.type === "hours") body.validity = { type: "hours", hours: c.int("validity.hours", length, 1, 23) };
    editor.save(body, c.errors);
  };
  const input = (field: string, label: string, value: string, change: (text: string) => void, type = "datetime-local") => (
    <Field label={label} hint={t("console.form.inZone", { zone })} error={editor.at(field)}>
      {(p) => <input {...p} type={type} inputMode={type === "text" ? "numeric" : undefined} value={value} onChange={(e) => change(e.target.value)} />}
    </Field>
  );
  return (
    <Editor
      label={t("console.inline.editWindows", { title: coupon.title })}
      editor={editor}
      summary={summary}
      onSubmit={submit}
      fields={["claim_window.start", "claim_window.end", "validity.start", "validity.end", "validity.days", "validity.hours"]}
    >
      <div className="row">
        {input("claim_window.start", t("console.inline.claimStart"), claim.start, (s) => setClaim({ ...claim, start: s }))}
        {input("claim_window.end", t("console.inline.claimEnd"), claim.end, (s) => setClaim({ ...claim, end: s }))}
      </div>
      {v.type === "fixed" && (
        <div className="row">
          {input("validity.start", t("console.inline.validFrom"), fixed.start, (s) => setFixed({ ...fixed, start: s }))}
          {input("validity.end", t("console.inline.validUntil"), fixed.end, (s) => setFixed({ ...fixed, end: s }))}
        </div>
      )}
      {v.type !== "fixed" && input(`validity.${v.type === "hours" ? "hours" : "days"}`, t(v.type === "hours" ? "console.inline.hours" : "console.inline.days"), length, setLength, "text")}
    </Editor>
  );
}
