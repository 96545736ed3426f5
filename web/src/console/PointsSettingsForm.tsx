// The points programme's settings (/console/points): expiry, earning rules and the daily check-in, saved
// whole with PUT /merchant/points/settings; the form's or the API's refusal shown at the field it names.
import { useRef, useState, type FormEvent } from "react";
import { api } from "../lib/api";
import { addMessages, useLocale } from "../lib/i18n";
import { formatTime } from "../lib/format";
import { ErrorMessage, fieldError, Loading, useLoad } from "../lib/ui";
import { type Bind, Check, Section, SelectInput, TextInput, useErrorAtField } from "./formParts";
import { AWARDS, toBody, toForm, type PointsSettings, type SettingsForm } from "./pointsSettings";

addMessages({
  en: {
    "console.points.settings": "Programme settings",
    "console.points.zone": "Days and the end of the year are counted in {zone} (the merchant's time zone).",
    "console.points.updated": "Last saved {when} by {by}.",
    "console.points.expiry": "Expiry",
    "console.points.expiryType": "Points expire",
    "console.points.expiry.never": "Never",
    "console.points.expiry.after_months": "A number of months after they are earned",
    "console.points.expiry.end_of_year": "At the end of the year",
    "console.points.months": "Months",
    "console.points.earning": "Earning",
    "console.points.orderOn": "Points for orders",
    "console.points.orderPoints": "Points",
    "console.points.orderAmount": "For each amount spent",
    "console.points.orderCurrency": "Currency",
    "console.points.awardHint": "Points; empty for none",
    "console.points.award.profile_completed": "Profile completed",
    "console.points.award.card_bound": "Loyalty card linked",
    "console.points.award.content_shared": "Content shared",
    "console.points.award.content_posted": "Content posted",
    "console.points.award.birthday": "Birthday",
    "console.points.inviter": "Invitation accepted: the inviter",
    "console.points.invitee": "Invitation accepted: the new member",
    "console.points.checkIn": "Daily check-in",
    "console.points.checkInOn": "Customers can check in once a day",
    "console.points.daily": "Points a day",
    "console.points.streakDays": "Bonus every Nth day in a row",
    "console.points.streakBonus": "Streak bonus",
    "console.points.save": "Save settings",
    "console.points.saved": "Settings saved.",
    "console.points.check.required": "Required.",
    "console.points.check.whole": "A whole number, 0 or more.",
    "console.points.check.money": "An amount in the currency, e.g. 10.00.",
    "console.points.check.currency": "A three-letter currency code, e.g. CNY.",
  },
  "zh-CN": {
    "console.points.settings": "积分计划设置",
    "console.points.zone": "按 {zone}（商家时区）计算日期与年末。",
    "console.points.updated": "{by} 于 {when} 保存。",
    "console.points.expiry": "有效期",
    "console.points.expiryType": "积分过期方式",
    "console.points.expiry.never": "永不过期",
    "console.points.expiry.after_months": "获得后若干个月过期",
    "console.points.expiry.end_of_year": "年末过期",
    "console.points.months": "月数",
    "console.points.earning": "积分获取",
    "console.points.orderOn": "下单得积分",
    "console.points.orderPoints": "积分",
    "console.points.orderAmount": "每消费金额",
    "console.points.orderCurrency": "币种",
    "console.points.awardHint": "积分数；留空表示不奖励",
    "console.points.award.profile_completed": "完善资料",
    "console.points.award.card_bound": "绑定会员卡",
    "console.points.award.content_shared": "分享内容",
    "console.points.award.content_posted": "发布内容",
    "console.points.award.birthday": "生日",
    "console.points.inviter": "邀请成功：邀请人",
    "console.points.invitee": "邀请成功：新会员",
    "console.points.checkIn": "每日签到",
    "console.points.checkInOn": "顾客每天可签到一次",
    "console.points.daily": "每日积分",
    "console.points.streakDays": "每连续签到 N 天奖励一次",
    "console.points.streakBonus": "连续签到奖励积分",
    "console.points.save": "保存设置",
    "console.points.saved": "设置已保存。",
    "console.points.check.required": "必填。",
    "console.points.check.whole": "请填写不小于 0 的整数。",
    "console.points.check.money": "请按币种填写金额，例如 10.00。",
    "console.points.check.currency": "请填写三位字母币种代码，例如 CNY。",
  },
});

export function PointsSettingsPanel({ load }: { load: ReturnType<typeof useLoad<PointsSettings>> }) {
  if (load.loading && !load.data) return <Loading />;
  if (load.error !== undefined && !load.data) return <ErrorMessage error={load.error} onRetry={load.reload} />;
  return <SettingsEditor key={load.data!.updated_at ?? "new"} settings={load.data!} onSaved={load.reload} />;
}

function SettingsEditor({ settings, onSaved }: { settings: PointsSettings; onSaved(): void }) {
  const { t, locale } = useLocale();
  const [state, setState] = useState<SettingsForm>(() => toForm(settings));
  const [checks, setChecks] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const bind: Bind<SettingsForm> = {
    state,
    set: (patch) => setState((s) => ({ ...s, ...patch })),
    error: (field) => (checks[field] ? t(`console.points.check.${checks[field]}`) : (fieldError(error, field) ?? fieldError(error, `body.${field}`))),
  };
  const atField = useErrorAtField(error, form);
  async function submit(event: FormEvent) {
    event.preventDefault();
    const { body, checks: found } = toBody(state);
    setChecks(found);
    setError(undefined);
    setNotice("");
    if (!body) return;
    setBusy(true);
    try {
      await api("PUT", "/merchant/points/settings", { body });
      setNotice(t("console.points.saved"));
      onSaved();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }
  const zone = settings.time_zone ?? "UTC";
  return (
    <form ref={form} className="narrow-form" onSubmit={submit} noValidate aria-labelledby="points-settings">
      <h2 id="points-settings">{t("console.points.settings")}</h2>
      <p className="hint">{t("console.points.zone", { zone })}</p>
      {settings.updated_at && (
        <p className="hint">{t("console.points.updated", { when: formatTime(settings.updated_at, zone, locale), by: settings.updated_by ?? "—" })}</p>
      )}
      {error !== undefined && !atField && <ErrorMessage error={error} />}
      <Section title={t("console.points.expiry")}>
        <SelectInput
          bind={bind}
          name="expiry"
          field="expiry.type"
          label={t("console.points.expiryType")}
          options={(["never", "after_months", "end_of_year"] as const).map((v) => [v, t(`console.points.expiry.${v}`)])}
        />
        {state.expiry === "after_months" && <TextInput bind={bind} name="months" field="expiry.months" label={t("console.points.months")} inputMode="numeric" />}
      </Section>
      <Section title={t("console.points.earning")}>
        <Check bind={bind} name="orderOn" field="earning.order" label={t("console.points.orderOn")} />
        {state.orderOn && (
          <div className="row">
            <TextInput bind={bind} name="orderPoints" field="earning.order.points" label={t("console.points.orderPoints")} inputMode="numeric" />
            <TextInput bind={bind} name="orderAmount" field="earning.order.per_amount" label={t("console.points.orderAmount")} inputMode="decimal" />
            <TextInput bind={bind} name="orderCurrency" field="earning.order.currency" label={t("console.points.orderCurrency")} />
          </div>
        )}
        {AWARDS.map((award) => (
          <TextInput key={award} bind={bind} name={award} field={`earning.${award}`} label={t(`console.points.award.${award}`)} hint={t("console.points.awardHint")} inputMode="numeric" />
        ))}
        <div className="row">
          <TextInput bind={bind} name="inviter" field="earning.invitation_accepted.inviter" label={t("console.points.inviter")} inputMode="numeric" />
          <TextInput bind={bind} name="invitee" field="earning.invitation_accepted.invitee" label={t("console.points.invitee")} inputMode="numeric" />
        </div>
      </Section>
      <Section title={t("console.points.checkIn")}>
        <Check bind={bind} name="checkInOn" field="check_in.enabled" label={t("console.points.checkInOn")} />
        <div className="row">
          <TextInput bind={bind} name="daily" field="check_in.daily" label={t("console.points.daily")} inputMode="numeric" />
          <TextInput bind={bind} name="streakDays" field="check_in.streak_days" label={t("console.points.streakDays")} inputMode="numeric" />
          <TextInput bind={bind} name="streakBonus" field="check_in.streak_bonus" label={t("console.points.streakBonus")} inputMode="numeric" />
        </div>
      </Section>
      <button type="submit" disabled={busy}>
        {t("console.points.save")}
      </button>
      <p role="status" className={notice ? "notice" : undefined}>
        {notice}
      </p>
    </form>
  );
}
