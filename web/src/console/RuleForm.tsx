// A new issuance rule: its trigger and the merchant's coupons it issues (picked by title, sent by id).
import { useRef, useState, type FormEvent } from "react";
import { api, ApiError } from "../lib/api";
import { addMessages, useLocale } from "../lib/i18n";
import { ErrorMessage, fieldError } from "../lib/ui";
import { Checker, splitList } from "./couponForm";
import { Check, SelectInput, TextInput, useErrorAtField, type Bind } from "./formParts";
import type { Coupon } from "./types";

addMessages({
  en: {
    "console.ruleForm.title": "New rule",
    "console.ruleForm.name": "Rule name",
    "console.ruleForm.type": "When",
    "console.ruleForm.coupon": "Coupon to issue",
    "console.ruleForm.pack": "Coupons to issue (1 to 10)",
    "console.ruleForm.inviter": "Coupon for the inviter",
    "console.ruleForm.invitee": "Coupon for the invitee",
    "console.ruleForm.noCoupon": "None",
    "console.ruleForm.pick": "Pick a coupon",
    "console.ruleForm.minAmount": "Minimum order amount",
    "console.ruleForm.currency": "Currency of the orders",
    "console.ruleForm.products": "Only orders with these products (optional)",
    "console.ruleForm.categories": "Only orders with these categories (optional)",
    "console.ruleForm.tier": "Only upgrades to this tier (optional)",
    "console.ruleForm.reissue": "Issue a new pack when every coupon of it expired unused",
    "console.ruleForm.maxReissues": "New packs at most",
    "console.ruleForm.enabled": "Enabled from now on",
    "console.ruleForm.submit": "Create rule",
    "console.ruleForm.noCoupons": "Create a coupon first: a rule issues one of your coupons.",
    "console.ruleForm.pickOne": "Pick one or two coupons.",
  },
  "zh-CN": {
    "console.ruleForm.title": "新建规则",
    "console.ruleForm.name": "规则名称",
    "console.ruleForm.type": "触发条件",
    "console.ruleForm.coupon": "发放的优惠券",
    "console.ruleForm.pack": "发放的优惠券（1 到 10 张）",
    "console.ruleForm.inviter": "给邀请人的优惠券",
    "console.ruleForm.invitee": "给被邀请人的优惠券",
    "console.ruleForm.noCoupon": "无",
    "console.ruleForm.pick": "请选择优惠券",
    "console.ruleForm.minAmount": "订单最低金额",
    "console.ruleForm.currency": "订单币种",
    "console.ruleForm.products": "仅限含这些商品的订单（选填）",
    "console.ruleForm.categories": "仅限含这些品类的订单（选填）",
    "console.ruleForm.tier": "仅限升级到此等级（选填）",
    "console.ruleForm.reissue": "整包优惠券均过期未用时重新发放",
    "console.ruleForm.maxReissues": "最多重新发放次数",
    "console.ruleForm.enabled": "创建后立即启用",
    "console.ruleForm.submit": "创建规则",
    "console.ruleForm.noCoupons": "请先创建优惠券：规则发放的是您的优惠券。",
    "console.ruleForm.pickOne": "请选择一张或两张优惠券。",
  },
});

type TriggerType = "order_placed" | "customer_joined" | "invitation_accepted" | "birthday" | "tier_upgraded";
const TYPES: TriggerType[] = ["order_placed", "customer_joined", "invitation_accepted", "birthday", "tier_upgraded"];

export interface Rule {
  rule_id: string;
  name: string;
  enabled: boolean;
  trigger:
    | { type: "order_placed"; min_amount: number; currency?: string | null; products: string[]; categories: string[]; coupon_id: string }
    | { type: "customer_joined"; coupon_ids: string[]; reissue_when_expired_unused: boolean; max_reissues: number }
    | { type: "invitation_accepted"; inviter_coupon_id?: string | null; invitee_coupon_id?: string | null }
    | { type: "birthday"; coupon_id: string }
    | { type: "tier_upgraded"; tier?: string | null; coupon_id: string };
}

interface State {
  name: string;
  type: TriggerType;
  coupon_id: string;
  inviter: string;
  invitee: string;
  min_amount: string;
  currency: string;
  products: string;
  categories: string;
  tier: string;
  reissue: boolean;
  max_reissues: string;
  enabled: boolean;
}

const EMPTY: State = { name: "", type: "order_placed", coupon_id: "", inviter: "", invitee: "", min_amount: "", currency: "CNY", products: "", categories: "", tier: "", reissue: false, max_reissues: "1", enabled: true };

function triggerOf(s: State, pack: string[], c: Checker): Record<string, unknown> {
  const coupon = () => c.required("trigger.coupon_id", s.coupon_id);
  switch (s.type) {
    case "order_placed": {
      const amount = c.money("trigger.min_amount", s.min_amount);
      return { type: s.type, min_amount: amount, currency: s.currency, products: splitList(s.products), categories: splitList(s.categories), coupon_id: coupon() };
    }
    case "customer_joined":
      if (!pack.length) c.fail("trigger.coupon_ids", "console.form.required");
      return { type: s.type, coupon_ids: pack, reissue_when_expired_unused: s.reissue, max_reissues: c.int("trigger.max_reissues", s.max_reissues, 1, 5) };
    case "invitation_accepted":
      if (!s.inviter && !s.invitee) c.fail("trigger.inviter_coupon_id", "console.ruleForm.pickOne");
      return { type: s.type, ...(s.inviter ? { inviter_coupon_id: s.inviter } : {}), ...(s.invitee ? { invitee_coupon_id: s.invitee } : {}) };
    case "birthday":
      return { type: s.type, coupon_id: coupon() };
    case "tier_upgraded":
      return { type: s.type, ...(s.tier.trim() ? { tier: s.tier.trim() } : {}), coupon_id: coupon() };
  }
}

/** The API names a rule's fields as `body.trigger.<type>.coupon_id`: the form's `trigger.coupon_id`. */
function formField(error: unknown): unknown {
  if (!(error instanceof ApiError) || !error.field) return error;
  const path = error.field.split(".").filter((part, n, all) => !(n === 0 && part === "body") && !(all[n - 1] === "trigger" && TYPES.includes(part as TriggerType)));
  const field = path.join(".").replace(/\.\d+$/, "");
  return new ApiError(error.status, error.code, error.message, field, error.details, error.retryAfter);
}

export function RuleForm({ coupons, onSaved }: { coupons: Coupon[]; onSaved(rule: Rule): void }) {
  const { t } = useLocale();
  const [state, setState] = useState<State>(EMPTY);
  const [pack, setPack] = useState<string[]>([]);
  const [checks, setChecks] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const atField = useErrorAtField(error, form);
  const bind: Bind<State> = {
    state,
    set: (patch) => setState((s) => ({ ...s, ...patch })),
    error: (field) => checks[field] ?? fieldError(error, field),
  };
  if (!coupons.length) return <p className="card">{t("console.ruleForm.noCoupons")}</p>;
  const options: [string, string][] = coupons.map((c) => [c.coupon_id, c.title]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const c = new Checker(t, state.currency);
    c.required("name", state.name);
    const body = { name: state.name.trim(), enabled: state.enabled, trigger: triggerOf(state, pack, c) };
    setChecks(c.errors);
    setError(undefined);
    if (Object.keys(c.errors).length) return;
    setBusy(true);
    try {
      const rule = await api<Rule>("POST", "/merchant/issuance-rules", { body });
      setState(EMPTY);
      setPack([]);
      onSaved(rule);
    } catch (caught) {
      setError(formField(caught));
    } finally {
      setBusy(false);
    }
  }
  const picker = (name: "coupon_id" | "inviter" | "invitee", field: string, label: string, optional = false) => (
    <SelectInput bind={bind} name={name} field={field} label={label} options={[["", optional ? t("console.ruleForm.noCoupon") : t("console.ruleForm.pick")], ...options]} />
  );
  const fields = (
    <>
      <TextInput bind={bind} name="name" field="name" label={t("console.ruleForm.name")} />
      <SelectInput bind={bind} name="type" field="trigger.type" label={t("console.ruleForm.type")} options={TYPES.map((type): [string, string] => [type, t(`console.rules.trigger.${type}`, { amount: "…" })])} />
      {state.type === "order_placed" && (
        <>
          <div className="row">
            <TextInput bind={bind} name="min_amount" field="trigger.min_amount" label={t("console.ruleForm.minAmount")} inputMode="decimal" hint={t("console.form.moneyHint", { currency: state.currency })} />
            <TextInput bind={bind} name="currency" field="trigger.currency" label={t("console.ruleForm.currency")} />
          </div>
          <TextInput bind={bind} name="products" field="trigger.products" label={t("console.ruleForm.products")} hint={t("console.form.listHint")} />
          <TextInput bind={bind} name="categories" field="trigger.categories" label={t("console.ruleForm.categories")} hint={t("console.form.listHint")} />
        </>
      )}
      {["order_placed", "birthday", "tier_upgraded"].includes(state.type) && picker("coupon_id", "trigger.coupon_id", t("console.ruleForm.coupon"))}
      {state.type === "tier_upgraded" && <TextInput bind={bind} name="tier" field="trigger.tier" label={t("console.ruleForm.tier")} />}
      {state.type === "invitation_accepted" && (
        <>
          {picker("inviter", "trigger.inviter_coupon_id", t("console.ruleForm.inviter"), true)}
          {picker("invitee", "trigger.invitee_coupon_id", t("console.ruleForm.invitee"), true)}
        </>
      )}
      {state.type === "customer_joined" && (
        <>
          <fieldset className="kinds">
            <legend>{t("console.ruleForm.pack")}</legend>
            {coupons.map((c) => (
              <label key={c.coupon_id}>
                <input type="checkbox" checked={pack.includes(c.coupon_id)} onChange={(e) => setPack(e.target.checked ? [...pack, c.coupon_id] : pack.filter((id) => id !== c.coupon_id))} /> {c.title}
              </label>
            ))}
            {bind.error("trigger.coupon_ids") && (
              <small className="field-error" role="alert">
                {bind.error("trigger.coupon_ids")}
              </small>
            )}
          </fieldset>
          <Check bind={bind} name="reissue" field="trigger.reissue_when_expired_unused" label={t("console.ruleForm.reissue")} />
          {state.reissue && <TextInput bind={bind} name="max_reissues" field="trigger.max_reissues" label={t("console.ruleForm.maxReissues")} inputMode="numeric" />}
        </>
      )}
      <Check bind={bind} name="enabled" field="enabled" label={t("console.ruleForm.enabled")} />
    </>
  );
  const above = atField ? undefined : error;
  return (
    <form ref={form} className="card narrow-form" onSubmit={submit} noValidate aria-labelledby="rule-new">
      <h2 id="rule-new">{t("console.ruleForm.title")}</h2>
      {Boolean(above) && <ErrorMessage error={above} />}
      {fields}
      <button type="submit" disabled={busy}>
        {t("console.ruleForm.submit")}
      </button>
    </form>
  );
}
