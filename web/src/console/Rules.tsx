// Issuance rules (/console/rules): coupons issued on an event (an order over an amount, a customer joining, an
// accepted invitation, a birthday, a tier upgrade). List, create, enable/disable, delete after a confirmation.
import { useState } from "react";
import { api, ApiError } from "../lib/api";
import type { Session } from "../lib/auth";
import { formatMoney } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { ConfirmDialog, ErrorMessage, Loading, useLoad } from "../lib/ui";
import "./coupons.css";
import { DataTable, ListStatus } from "./formParts";
import { readPages } from "./display";
import { RuleForm, type Rule } from "./RuleForm";
import type { Coupon, Page } from "./types";

addMessages({
  en: {
    "console.rules.title": "Issuance rules",
    "console.rules.none": "No rules yet.",
    "console.rules.name": "Name",
    "console.rules.when": "When",
    "console.rules.gives": "Issues",
    "console.rules.state": "State",
    "console.rules.enabled": "Enabled",
    "console.rules.disabled": "Disabled",
    "console.rules.enable": "Enable {name}",
    "console.rules.disable": "Disable {name}",
    "console.rules.delete": "Delete {name}",
    "console.rules.deleteTitle": "Delete the rule “{name}”?",
    "console.rules.deleteBody": "No more coupons are issued by it. Coupons it issued stay with their holders.",
    "console.rules.changed": "The rule was changed meanwhile: the list was reloaded.",
    "console.rules.saved": "Rule “{name}” saved.",
    "console.rules.removed": "Rule “{name}” deleted.",
    "console.rules.trigger.order_placed": "An order of {amount} or more",
    "console.rules.trigger.order_placedAny": "An order of at least {amount} minor units (any currency)",
    "console.rules.trigger.customer_joined": "A customer joins",
    "console.rules.trigger.invitation_accepted": "An invitation is accepted",
    "console.rules.trigger.birthday": "A customer's birthday",
    "console.rules.trigger.tier_upgraded": "A customer reaches a tier",
  },
  "zh-CN": {
    "console.rules.title": "发券规则",
    "console.rules.none": "还没有规则。",
    "console.rules.name": "名称",
    "console.rules.when": "触发条件",
    "console.rules.gives": "发放",
    "console.rules.state": "状态",
    "console.rules.enabled": "已启用",
    "console.rules.disabled": "已停用",
    "console.rules.enable": "启用 {name}",
    "console.rules.disable": "停用 {name}",
    "console.rules.delete": "删除 {name}",
    "console.rules.deleteTitle": "删除规则“{name}”？",
    "console.rules.deleteBody": "删除后不再按此规则发券；已发出的优惠券仍归持有人所有。",
    "console.rules.changed": "规则已被他人修改，列表已重新加载。",
    "console.rules.saved": "规则“{name}”已保存。",
    "console.rules.removed": "规则“{name}”已删除。",
    "console.rules.trigger.order_placed": "订单满 {amount}",
    "console.rules.trigger.order_placedAny": "订单满 {amount}（最小货币单位，不限币种）",
    "console.rules.trigger.customer_joined": "顾客加入会员",
    "console.rules.trigger.invitation_accepted": "邀请被接受",
    "console.rules.trigger.birthday": "顾客生日",
    "console.rules.trigger.tier_upgraded": "顾客升级会员等级",
  },
});

function couponsOf(rule: Rule): string[] {
  const trigger = rule.trigger;
  if (trigger.type === "customer_joined") return trigger.coupon_ids;
  if (trigger.type === "invitation_accepted") return [trigger.inviter_coupon_id, trigger.invitee_coupon_id].filter((c): c is string => Boolean(c));
  return [trigger.coupon_id];
}

export function Rules({ session }: { session: Session }) {
  const { t, locale } = useLocale();
  void session;
  const list = useLoad((signal) => readPages(5, (token) => api<Page<Rule>>("GET", "/merchant/issuance-rules", { query: { next_token: token }, signal })), []);
  const coupons = useLoad((signal) => api<Page<Coupon>>("GET", "/coupons", { query: { limit: 100 }, signal }), []);
  const [notice, setNotice] = useState<{ text: string; alert: boolean }>();
  const [error, setError] = useState<unknown>();
  const [removing, setRemoving] = useState<Rule | null>(null);
  const titles = new Map((coupons.data?.items ?? []).map((c) => [c.coupon_id, c.title]));
  const path = (rule: Rule) => `/merchant/issuance-rules/${encodeURIComponent(rule.rule_id)}`;

  async function act(run: () => Promise<unknown>, text: string) {
    setError(undefined);
    try {
      await run();
      setNotice({ text, alert: false });
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 409) setNotice({ text: t("console.rules.changed"), alert: true });
      else setError(caught);
    }
    list.reload();
  }
  const toggle = (rule: Rule) => act(() => api("PATCH", path(rule), { body: { enabled: !rule.enabled } }), t("console.rules.saved", { name: rule.name }));
  const remove = () => {
    const rule = removing;
    setRemoving(null);
    if (rule) act(() => api("DELETE", path(rule)), t("console.rules.removed", { name: rule.name }));
  };
  const when = (rule: Rule) => {
    const trigger = rule.trigger;
    if (trigger.type !== "order_placed") return t(`console.rules.trigger.${trigger.type}`) + (trigger.type === "tier_upgraded" && trigger.tier ? ` (${trigger.tier})` : "");
    return trigger.currency
      ? t("console.rules.trigger.order_placed", { amount: formatMoney(trigger.min_amount, trigger.currency, locale) })
      : t("console.rules.trigger.order_placedAny", { amount: trigger.min_amount });
  };

  return (
    <section>
      <h1>{t("console.rules.title")}</h1>
      {notice && (
        <p className={notice.alert ? "error" : "notice"} role={notice.alert ? "alert" : "status"}>
          {notice.text}
        </p>
      )}
      {Boolean(error) && <ErrorMessage error={error} />}
      <ListStatus load={list} empty={t("console.rules.none")} />
      {Boolean(list.data?.items.length) && (
        <DataTable headers={[t("console.rules.name"), t("console.rules.when"), t("console.rules.gives"), t("console.rules.state")]} actions={t("common.more")}>
          {list.data?.items.map((rule) => (
            <tr key={rule.rule_id}>
              <td>{rule.name}</td>
              <td>{when(rule)}</td>
              <td>{couponsOf(rule).map((id) => titles.get(id) ?? id).join(", ")}</td>
              <td>{rule.enabled ? t("console.rules.enabled") : t("console.rules.disabled")}</td>
              <td className="actions">
                <button type="button" onClick={() => toggle(rule)}>
                  {rule.enabled ? t("console.rules.disable", { name: rule.name }) : t("console.rules.enable", { name: rule.name })}
                </button>
                <button type="button" className="danger" onClick={() => setRemoving(rule)}>
                  {t("console.rules.delete", { name: rule.name })}
                </button>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {coupons.loading && !coupons.data && <Loading />}
      {Boolean(coupons.error) && <ErrorMessage error={coupons.error} onRetry={coupons.reload} />}
      {coupons.data && <RuleForm coupons={coupons.data.items.filter((c) => c.status !== "deleted")} onSaved={(rule) => act(async () => undefined, t("console.rules.saved", { name: rule.name }))} />}
      <ConfirmDialog
        open={removing !== null}
        title={t("console.rules.deleteTitle", { name: removing?.name ?? "" })}
        body={<p>{t("console.rules.deleteBody")}</p>}
        confirmLabel={t("common.delete")}
        onConfirm={remove}
        onCancel={() => setRemoving(null)}
      />
    </section>
  );
}
