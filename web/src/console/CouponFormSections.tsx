// The coupon form's sections. Terms, currency, zone, code mode, scope and the options fixed at creation are
// read-only when editing (the API's edit does not take them: docs/decisions.md, "Edits").
import { addMessages, useLocale } from "../lib/i18n";
import type { FormState } from "./couponForm";
import { Check, Section, SelectInput, TextInput, type Bind } from "./formParts";
import { WEEKDAYS } from "./couponExtras";
import { KINDS, type Coupon, type Kind } from "./types";

export function FormSections({ bind, coupon, platform }: { bind: Bind<FormState>; coupon: Coupon | null; platform: boolean }) {
  const { t } = useLocale();
  const f = bind.state;
  const editing = coupon !== null;
  const p = (key: string) => t(`console.form.${key}`);
  const zoneHint = t("console.form.inZone", { zone: f.time_zone });
  const moneyHint = t("console.form.moneyHint", { currency: f.currency });
  const kindOptions = KINDS.map((k): [string, string] => [k, t(`console.kind.${k}`)]);
  return (
    <>
      <Section title={p("basics")}>
        <TextInput bind={bind} name="title" field="title" label={p("title")} />
        <TextInput bind={bind} name="description" field="description" label={p("description")} multiline />
        {platform && <TextInput bind={bind} name="merchants" field="merchants" label={p("merchants")} hint={p("merchantsHint")} disabled={editing} />}
        {!editing && <SelectInput bind={bind} name="status" field="status" label={p("status")} options={[["draft", t("console.status.draft")], ["active", t("console.status.active")]]} />}
        <div className="row">
          <TextInput bind={bind} name="currency" field="currency" label={p("currency.label")} disabled={editing} hint={p("currencyHint")} />
          <TextInput bind={bind} name="time_zone" field="time_zone" label={p("timeZone")} disabled={editing} hint={p("timeZoneHint")} />
        </div>
      </Section>

      <Section title={p("terms")} disabled={editing}>
        <SelectInput bind={bind} name="kind" field="terms.kind" label={p("kind")} options={kindOptions} />
        {f.kind === "discount" && (
          <div className="row">
            <TextInput bind={bind} name="percent_off" field="terms.percent_off" label={p("percentOff")} inputMode="numeric" hint={p("percentHint")} />
            <TextInput bind={bind} name="max_discount" field="terms.max_discount" label={p("maxDiscount")} inputMode="decimal" hint={moneyHint} />
          </div>
        )}
        {f.kind === "cash_value" && (
          <div className="row">
            <TextInput bind={bind} name="amount_off" field="terms.amount_off" label={p("amountOff")} inputMode="decimal" hint={moneyHint} />
            <TextInput bind={bind} name="min_spend" field="terms.min_spend" label={p("minSpend")} inputMode="decimal" hint={p("optionalMoney")} />
          </div>
        )}
        {f.kind === "gift" && <TextInput bind={bind} name="item" field="terms.item" label={p("item")} />}
        {f.kind === "points" && <TextInput bind={bind} name="points" field="terms.points" label={p("points")} inputMode="numeric" />}
        {f.kind === "cash" && <TextInput bind={bind} name="amount" field="terms.amount" label={p("amount")} inputMode="decimal" hint={moneyHint} />}
        {f.kind === "generic" && <TextInput bind={bind} name="generic_terms" field="terms.terms" label={p("genericTerms")} multiline />}
      </Section>

      <Section title={p("codes")}>
        <SelectInput
          bind={bind}
          name="code_mode"
          field="codes.mode"
          label={p("codeMode")}
          disabled={editing}
          options={(["random_on_claim", "generated", "imported"] as const).map((m): [string, string] => [m, t(`console.codeMode.${m}`)])}
        />
        {f.code_mode !== "imported" && (
          <TextInput
            bind={bind}
            name="inventory"
            field={editing ? "inventory" : "codes.inventory"}
            label={p("inventory")}
            inputMode="numeric"
            disabled={editing && f.kind === "cash"}
            hint={f.code_mode === "random_on_claim" ? p("inventoryHint") : undefined}
          />
        )}
        {f.code_mode === "imported" && (
          <>
            <Check bind={bind} name="case_sensitive" field="codes.case_sensitive" label={p("caseSensitive")} disabled={editing} />
            <Check bind={bind} name="allow_short_codes" field="codes.allow_short_codes" label={p("allowShort")} disabled={editing} />
          </>
        )}
      </Section>

      <Section title={p("claimWindow")}>
        <div className="row">
          <TextInput bind={bind} name="claim_start" field="claim_window.start" type="datetime-local" label={p("start")} hint={zoneHint} />
          <TextInput bind={bind} name="claim_end" field="claim_window.end" type="datetime-local" label={p("end")} hint={zoneHint} />
        </div>
      </Section>

      <Section title={p("validity")}>
        <SelectInput
          bind={bind}
          name="validity_type"
          field="validity.type"
          label={p("validityType")}
          options={(["fixed", "relative_days", "hours"] as const).map((v): [string, string] => [v, t(`console.validity.${v}`)])}
        />
        {f.validity_type === "fixed" && (
          <div className="row">
            <TextInput bind={bind} name="validity_start" field="validity.start" type="datetime-local" label={p("validFrom")} hint={zoneHint} />
            <TextInput bind={bind} name="validity_end" field="validity.end" type="datetime-local" label={p("validUntil")} hint={zoneHint} />
          </div>
        )}
        {f.validity_type === "relative_days" && (
          <div className="row">
            <TextInput bind={bind} name="starts_after_days" field="validity.starts_after_days" label={p("startsAfterDays")} inputMode="numeric" />
            <TextInput bind={bind} name="days" field="validity.days" label={p("days")} inputMode="numeric" />
          </div>
        )}
        {f.validity_type === "hours" && <TextInput bind={bind} name="hours" field="validity.hours" label={p("hours")} inputMode="numeric" />}
      </Section>

      <Section title={p("where")}>
        <TextInput bind={bind} name="stores" field="stores" label={p("stores")} hint={p("storesHint")} />
        <fieldset className="kinds">
          <legend>{p("frameDays")}</legend>
          {WEEKDAYS.map((day) => (
            <label key={day}>
              <input
                type="checkbox"
                checked={f.frame_days.includes(day)}
                onChange={(e) => bind.set({ frame_days: e.target.checked ? [...f.frame_days, day] : f.frame_days.filter((d) => d !== day) })}
              />{" "}
              {t(`console.weekday.${day}`)}
            </label>
          ))}
        </fieldset>
        {f.frame_days.length > 0 && (
          <div className="row">
            <TextInput bind={bind} name="frame_start" field="time_frames.start" type="time" label={p("frameStart")} hint={zoneHint} />
            <TextInput bind={bind} name="frame_end" field="time_frames.end" label={p("frameEnd")} hint={p("frameEndHint")} />
          </div>
        )}
        <SelectInput
          bind={bind}
          name="reminder"
          field="options.reminder"
          label={p("reminder")}
          options={[["none", p("reminderNone")], ["hours", p("reminderHours")], ["at", p("reminderAt")]]}
        />
        {f.reminder === "hours" && <TextInput bind={bind} name="reminder_hours" field="options.reminder.hours_before_expiry" label={p("reminderLead")} inputMode="numeric" />}
        {f.reminder === "at" && (
          <div className="row">
            <TextInput bind={bind} name="reminder_days_before" field="options.reminder.days_before" label={p("reminderDays")} inputMode="numeric" />
            <TextInput bind={bind} name="reminder_at" field="options.reminder.at" type="time" label={p("reminderTime")} hint={zoneHint} />
          </div>
        )}
        {f.reminder !== "none" && <TextInput bind={bind} name="reminder_message" field="options.reminder.message" label={p("reminderMessage")} />}
      </Section>

      <Section title={p("scope")} disabled={editing}>
        <SelectInput bind={bind} name="scope_type" field="scope.type" label={p("scopeType")} options={[["order", p("scopeOrder")], ["items", p("scopeItems")]]} />
        {f.scope_type === "items" && (
          <>
            <TextInput bind={bind} name="products" field="scope.products" label={p("products")} hint={p("listHint")} />
            <TextInput bind={bind} name="categories" field="scope.categories" label={p("categories")} hint={p("listHint")} />
            <TextInput bind={bind} name="brands" field="scope.brands" label={p("brands")} hint={p("listHint")} />
          </>
        )}
      </Section>

      <Section title={p("audience")}>
        <SelectInput
          bind={bind}
          name="audience_type"
          field="audience.type"
          label={p("audienceType")}
          disabled={editing}
          options={(["everyone", "customers", "tags", "segment"] as const).map((a): [string, string] => [a, t(`console.audience.${a}`)])}
        />
        {f.audience_type === "customers" && (
          <TextInput bind={bind} name="customer_ids" field="audience.customer_ids" label={editing ? p("addCustomers") : p("customerIds")} multiline hint={p("listHint")} />
        )}
        {f.audience_type === "tags" && <TextInput bind={bind} name="tags" field="audience.tags" label={p("tags")} hint={editing ? p("tagsAddOnly") : p("listHint")} />}
        {f.audience_type === "segment" && <TextInput bind={bind} name="segment_id" field="audience.segment_id" label={p("segmentId")} disabled={editing} />}
      </Section>

      <Section title={p("options")}>
        <div className="row">
          <TextInput bind={bind} name="per_customer_limit" field="options.per_customer_limit" label={p("perCustomer")} inputMode="numeric" />
          <TextInput bind={bind} name="per_device_limit" field="options.per_device_limit" label={p("perDevice")} inputMode="numeric" disabled={editing} hint={p("optional")} />
          <TextInput bind={bind} name="points_price" field="options.points_price" label={p("pointsPrice")} inputMode="numeric" disabled={editing} hint={p("pointsPriceHint")} />
          <TextInput bind={bind} name="low_stock_threshold" field="options.low_stock_threshold" label={p("lowStock")} inputMode="numeric" disabled={editing} hint={p("optional")} />
          <TextInput bind={bind} name="budget" field="options.budget" label={p("budget")} inputMode="decimal" disabled={editing} hint={p("optionalMoney")} />
        </div>
        <TextInput bind={bind} name="channels" field="options.channels" label={p("channels")} hint={p("channelsHint")} />
        <TextInput bind={bind} name="testers" field="options.testers" label={p("testers")} hint={p("listHint")} />
        <TextInput
          bind={bind}
          name="passphrase"
          field="options.passphrase"
          type="password"
          autoComplete="new-password"
          label={p("passphrase")}
          hint={coupon?.options.passphrase_required ? p("passphraseSet") : p("passphraseHint")}
        />
        <Check bind={bind} name="giftable" field="options.giftable" label={p("giftable")} />
        <Check bind={bind} name="notify_giver" field="options.notify_giver" label={p("notifyGiver")} />
        {(f.notify_giver || f.gift_message) && <TextInput bind={bind} name="gift_message" field="options.gift_message" label={p("giftMessage")} />}
        <Check bind={bind} name="new_customers_only" field="options.new_customers_only" label={p("newCustomersOnly")} />
        <Check bind={bind} name="first_order_only" field="options.first_order_only" label={p("firstOrderOnly")} />
        <Check bind={bind} name="staff_confirms_terms" field="options.staff_confirms_terms" label={p("staffConfirms")} disabled={editing} />
        <Check bind={bind} name="stackable" field="options.stacking" label={p("stackable")} disabled={editing} />
        {f.stackable && <StackKinds bind={bind} disabled={editing} />}
        <Check bind={bind} name="self_service" field="options.self_service" label={p("selfService")} disabled={editing} />
        {f.self_service && (
          <>
            <SelectInput
              bind={bind}
              name="verification"
              field="options.self_service.verification"
              label={p("verification")}
              disabled={editing}
              options={[["code", p("verificationCode")], ["none", p("verificationNone")]]}
            />
            {f.verification === "code" && (
              <div className="row">
                <TextInput bind={bind} name="verification_code" field="options.self_service.verification_code" type="password" autoComplete="new-password" inputMode="numeric" label={p("storeCode")} hint={editing ? p("storeCodeKeep") : p("storeCodeHint")} />
                <TextInput bind={bind} name="staff_code" field="options.self_service.staff_code" type="password" autoComplete="new-password" inputMode="numeric" label={p("staffCode")} hint={p("optional")} />
              </div>
            )}
          </>
        )}
      </Section>
    </>
  );
}

function StackKinds({ bind, disabled }: { bind: Bind<FormState>; disabled: boolean }) {
  const { t } = useLocale();
  const chosen = bind.state.with_kinds;
  const toggle = (kind: Kind, on: boolean) => bind.set({ with_kinds: on ? [...chosen, kind] : chosen.filter((k) => k !== kind) });
  const error = bind.error("options.stacking.with_kinds");
  return (
    <fieldset className="kinds" disabled={disabled}>
      <legend>{t("console.form.withKinds")}</legend>
      {KINDS.map((kind) => (
        <label key={kind}>
          <input type="checkbox" checked={chosen.includes(kind)} onChange={(e) => toggle(kind, e.target.checked)} /> {t(`console.kind.${kind}`)}
        </label>
      ))}
      {error && (
        <small className="field-error" role="alert">
          {error}
        </small>
      )}
    </fieldset>
  );
}

addMessages({
  en: {
    "console.form.newTitle": "New coupon",
    "console.form.editTitle": "Edit coupon",
    "console.form.create": "Create coupon",
    "console.form.saving": "Saving…",
    "console.form.conflict": "Someone changed this coupon meanwhile. Reload it to edit the latest version.",
    "console.form.reloadLatest": "Reload the latest version",
    "console.form.fixFields": "Check the {count} highlighted field(s).",
    "console.form.required": "Required.",
    "console.form.range": "A whole number from {min} to {max}.",
    "console.form.length": "From {min} to {max} characters.",
    "console.form.money": "An amount in {currency}, e.g. 12.50.",
    "console.form.time": "A date and time.",
    "console.form.endAfterStart": "The end must be after the start.",
    "console.form.belowMinSpend": "The amount off must be below the minimum spend.",
    "console.form.cashQuantity": "A cash coupon has a fixed quantity (random or generated codes with an inventory).",
    "console.form.notGiftable": "Only discount, cash-value and gift coupons can be given.",
    "console.form.noBudget": "Only coupons that take money off have a budget.",
    "console.form.scopeEmpty": "List at least one product, category or brand.",
    "console.form.storeCodeFormat": "6 to 12 digits.",
    "console.form.zone": "An IANA time zone, e.g. Asia/Shanghai.",
    "console.form.currency": "A three-letter currency code, e.g. CNY.",
    "console.form.basics": "Basics",
    "console.form.title": "Title",
    "console.form.description": "Description",
    "console.form.status": "Status when created",
    "console.form.currency.label": "Currency",
    "console.form.currencyHint": "ISO code, e.g. CNY, USD, JPY",
    "console.form.timeZone": "Time zone",
    "console.form.timeZoneHint": "Every time of this coupon is in this zone",
    "console.form.inZone": "Time in {zone}",
    "console.form.moneyHint": "In {currency}, e.g. 12.50",
    "console.form.optionalMoney": "Optional, in the coupon's currency",
    "console.form.optional": "Optional",
    "console.form.terms": "What it gives",
    "console.form.kind": "Kind",
    "console.form.percentOff": "Percent off",
    "console.form.percentHint": "1 to 99",
    "console.form.maxDiscount": "Largest discount",
    "console.form.amountOff": "Amount off",
    "console.form.minSpend": "Minimum spend",
    "console.form.item": "Gift item",
    "console.form.points": "Points",
    "console.form.amount": "Cash amount",
    "console.form.genericTerms": "Terms",
    "console.form.codes": "Codes and inventory",
    "console.form.codeMode": "Codes",
    "console.form.inventory": "Inventory",
    "console.form.inventoryHint": "Empty: unlimited",
    "console.form.caseSensitive": "Codes are case sensitive",
    "console.form.allowShort": "Accept short, easy-to-guess codes",
    "console.form.claimWindow": "Claim window",
    "console.form.start": "Opens",
    "console.form.end": "Closes",
    "console.form.validity": "Validity",
    "console.form.validityType": "Valid",
    "console.form.validFrom": "Valid from",
    "console.form.validUntil": "Valid until",
    "console.form.startsAfterDays": "Starts after (days from the claim)",
    "console.form.days": "Lasts (days)",
    "console.form.hours": "Lasts (hours)",
    "console.form.scope": "Applies to",
    "console.form.scopeType": "Scope",
    "console.form.scopeOrder": "The whole order",
    "console.form.scopeItems": "Some items",
    "console.form.products": "Products (SKUs)",
    "console.form.categories": "Categories",
    "console.form.brands": "Brands",
    "console.form.listHint": "Separated by commas or spaces",
    "console.form.audience": "Who may claim",
    "console.form.audienceType": "Audience",
    "console.form.customerIds": "Customer ids",
    "console.form.addCustomers": "Add customer ids",
    "console.form.tags": "Customer tags",
    "console.form.tagsAddOnly": "Tags can be added, not removed",
    "console.form.segmentId": "Segment id",
    "console.form.options": "Options",
    "console.form.perCustomer": "Per customer",
    "console.form.perDevice": "Per device",
    "console.form.pointsPrice": "Price in points",
    "console.form.pointsPriceHint": "Optional: claimed for this many of the customer's points",
    "console.form.lowStock": "Low stock alert at",
    "console.form.budget": "Discount budget",
    "console.form.channels": "Channels",
    "console.form.channelsHint": "Names for promotion links, e.g. wechat poster",
    "console.form.testers": "Testers (customer ids who may claim a draft)",
    "console.form.passphrase": "Claim passphrase",
    "console.form.passphraseHint": "Optional, 6 to 64 characters; never shown again",
    "console.form.passphraseSet": "A passphrase is set; type a new one to replace it",
    "console.form.giftable": "Can be given to a friend",
    "console.form.notifyGiver": "Tell the giver when the friend accepts",
    "console.form.giftMessage": "Message to the giver",
    "console.form.newCustomersOnly": "New customers only",
    "console.form.firstOrderOnly": "First order only",
    "console.form.staffConfirms": "Staff may confirm the terms without the order",
    "console.form.stackable": "Stacks with other coupons",
    "console.form.withKinds": "Stacks with these kinds (none ticked: every kind)",
    "console.form.selfService": "Customers may redeem it themselves in the store",
    "console.form.verification": "Self-service check",
    "console.form.verificationCode": "The store's code",
    "console.form.verificationNone": "No code",
    "console.form.storeCode": "Store code",
    "console.form.storeCodeHint": "6 to 12 digits, not 123456 or 111111",
    "console.form.storeCodeKeep": "Empty: keep the current code",
    "console.form.staffCode": "Staff code",
    "console.form.merchants": "Merchants it is usable at (platform coupons)",
    "console.form.merchantsHint": "Merchant ids, separated by commas",
    "console.form.where": "Where and when",
    "console.form.stores": "Valid only at these stores",
    "console.form.storesHint": "Store codes from Stores, separated by commas; empty: every store",
    "console.form.frameDays": "Usable only on these days (none ticked: any time)",
    "console.form.frameStart": "From",
    "console.form.frameEnd": "Until (HH:MM)",
    "console.form.frameEndHint": "24:00 ends at midnight; before the start runs overnight",
    "console.form.frameNeverOpens": "The start equals the end: it would never open.",
    "console.form.hhmm": "A time as HH:MM.",
    "console.form.reminder": "Remind holders before it ends",
    "console.form.reminderNone": "No reminder",
    "console.form.reminderHours": "Some hours before it ends",
    "console.form.reminderAt": "At a time of day, some days before",
    "console.form.reminderLead": "Hours before it ends (1 to 168)",
    "console.form.reminderDays": "Days before the last day (0: that day)",
    "console.form.reminderTime": "At",
    "console.form.reminderMessage": "Reminder message",
    "console.weekday.mon": "Mon",
    "console.weekday.tue": "Tue",
    "console.weekday.wed": "Wed",
    "console.weekday.thu": "Thu",
    "console.weekday.fri": "Fri",
    "console.weekday.sat": "Sat",
    "console.weekday.sun": "Sun",
    "console.kind.discount": "Percent discount",
    "console.kind.cash_value": "Amount off",
    "console.kind.gift": "Gift",
    "console.kind.points": "Points",
    "console.kind.cash": "Cash voucher",
    "console.kind.free_shipping": "Free shipping",
    "console.kind.generic": "Other",
    "console.codeMode.random_on_claim": "A random code at each claim",
    "console.codeMode.generated": "Generated in advance",
    "console.codeMode.imported": "Imported from a file",
    "console.validity.fixed": "Between two dates",
    "console.validity.relative_days": "Days after the claim",
    "console.validity.hours": "Hours after the claim",
    "console.audience.everyone": "Everyone",
    "console.audience.customers": "Listed customers",
    "console.audience.tags": "Customers with tags",
    "console.audience.segment": "A segment",
    "console.status.draft": "Draft",
    "console.status.active": "Active",
    "console.status.paused": "Paused",
    "console.status.deleted": "Deleted",
  },
  "zh-CN": {
    "console.form.newTitle": "新建优惠券",
    "console.form.editTitle": "编辑优惠券",
    "console.form.create": "创建优惠券",
    "console.form.saving": "保存中…",
    "console.form.conflict": "这张优惠券已被他人修改，请重新加载后编辑最新版本。",
    "console.form.reloadLatest": "加载最新版本",
    "console.form.fixFields": "请检查标出的 {count} 个字段。",
    "console.form.required": "必填。",
    "console.form.range": "请输入 {min} 到 {max} 之间的整数。",
    "console.form.length": "长度为 {min} 到 {max} 个字符。",
    "console.form.money": "请输入 {currency} 金额，例如 12.50。",
    "console.form.time": "请输入日期和时间。",
    "console.form.endAfterStart": "结束时间必须晚于开始时间。",
    "console.form.belowMinSpend": "减免金额必须低于最低消费。",
    "console.form.cashQuantity": "代金券数量固定（随机码或预生成码，并填写库存）。",
    "console.form.notGiftable": "只有折扣券、满减券和礼品券可以转赠。",
    "console.form.noBudget": "只有减免金额的优惠券可以设置预算。",
    "console.form.scopeEmpty": "请至少填写一个商品、品类或品牌。",
    "console.form.storeCodeFormat": "6 到 12 位数字。",
    "console.form.zone": "请填写 IANA 时区，例如 Asia/Shanghai。",
    "console.form.currency": "请填写三位货币代码，例如 CNY。",
    "console.form.basics": "基本信息",
    "console.form.title": "标题",
    "console.form.description": "说明",
    "console.form.status": "创建后的状态",
    "console.form.currency.label": "币种",
    "console.form.currencyHint": "ISO 代码，例如 CNY、USD、JPY",
    "console.form.timeZone": "时区",
    "console.form.timeZoneHint": "这张券的所有时间都按此时区",
    "console.form.inZone": "{zone} 时间",
    "console.form.moneyHint": "以 {currency} 计，例如 12.50",
    "console.form.optionalMoney": "选填，以券的币种计",
    "console.form.optional": "选填",
    "console.form.terms": "优惠内容",
    "console.form.kind": "类型",
    "console.form.percentOff": "折扣百分比",
    "console.form.percentHint": "1 到 99",
    "console.form.maxDiscount": "最高优惠",
    "console.form.amountOff": "减免金额",
    "console.form.minSpend": "最低消费",
    "console.form.item": "赠品",
    "console.form.points": "积分",
    "console.form.amount": "代金金额",
    "console.form.genericTerms": "使用条款",
    "console.form.codes": "券码与库存",
    "console.form.codeMode": "券码",
    "console.form.inventory": "库存",
    "console.form.inventoryHint": "留空：不限量",
    "console.form.caseSensitive": "券码区分大小写",
    "console.form.allowShort": "接受较短、易被猜中的券码",
    "console.form.claimWindow": "领取时间",
    "console.form.start": "开始",
    "console.form.end": "结束",
    "console.form.validity": "有效期",
    "console.form.validityType": "有效方式",
    "console.form.validFrom": "生效时间",
    "console.form.validUntil": "失效时间",
    "console.form.startsAfterDays": "领取后第几天生效",
    "console.form.days": "有效天数",
    "console.form.hours": "有效小时数",
    "console.form.scope": "适用范围",
    "console.form.scopeType": "范围",
    "console.form.scopeOrder": "整单",
    "console.form.scopeItems": "指定商品",
    "console.form.products": "商品（SKU）",
    "console.form.categories": "品类",
    "console.form.brands": "品牌",
    "console.form.listHint": "用逗号或空格分隔",
    "console.form.audience": "可领取的人",
    "console.form.audienceType": "发放对象",
    "console.form.customerIds": "顾客编号",
    "console.form.addCustomers": "追加顾客编号",
    "console.form.tags": "顾客标签",
    "console.form.tagsAddOnly": "标签只能追加，不能移除",
    "console.form.segmentId": "人群编号",
    "console.form.options": "其他设置",
    "console.form.perCustomer": "每人限领",
    "console.form.perDevice": "每台设备限领",
    "console.form.pointsPrice": "积分价格",
    "console.form.pointsPriceHint": "选填：顾客需用此数量的积分兑换",
    "console.form.lowStock": "库存预警阈值",
    "console.form.budget": "优惠预算",
    "console.form.channels": "渠道",
    "console.form.channelsHint": "推广链接的渠道名，例如 wechat poster",
    "console.form.testers": "测试人员（可领取草稿券的顾客编号）",
    "console.form.passphrase": "领取口令",
    "console.form.passphraseHint": "选填，6 到 64 个字符；保存后不再显示",
    "console.form.passphraseSet": "已设置口令；输入新口令即可替换",
    "console.form.giftable": "可转赠给好友",
    "console.form.notifyGiver": "好友领取后通知赠送人",
    "console.form.giftMessage": "给赠送人的消息",
    "console.form.newCustomersOnly": "仅限新顾客",
    "console.form.firstOrderOnly": "仅限首单",
    "console.form.staffConfirms": "店员可在无订单时人工确认使用条件",
    "console.form.stackable": "可与其他优惠券叠加",
    "console.form.withKinds": "可叠加的券类型（都不勾选：全部类型）",
    "console.form.selfService": "顾客可在店内自助核销",
    "console.form.verification": "自助核销校验",
    "console.form.verificationCode": "门店核销码",
    "console.form.verificationNone": "无需核销码",
    "console.form.storeCode": "门店核销码",
    "console.form.storeCodeHint": "6 到 12 位数字，不能是 123456 或 111111",
    "console.form.storeCodeKeep": "留空：保留当前核销码",
    "console.form.staffCode": "店员码",
    "console.form.merchants": "可使用的商户（平台券）",
    "console.form.merchantsHint": "商户编号，用逗号分隔",
    "console.form.where": "适用门店与时段",
    "console.form.stores": "仅限这些门店使用",
    "console.form.storesHint": "门店管理中的门店编码，用逗号分隔；留空：所有门店",
    "console.form.frameDays": "仅限这些日子使用（都不勾选：任何时间）",
    "console.form.frameStart": "开始",
    "console.form.frameEnd": "结束（时:分）",
    "console.form.frameEndHint": "24:00 表示到午夜；早于开始时间表示跨夜",
    "console.form.frameNeverOpens": "开始与结束相同，永远不会开放。",
    "console.form.hhmm": "请按 时:分 填写时间。",
    "console.form.reminder": "到期前提醒持券人",
    "console.form.reminderNone": "不提醒",
    "console.form.reminderHours": "到期前若干小时",
    "console.form.reminderAt": "最后一天前若干天的固定时间",
    "console.form.reminderLead": "到期前小时数（1 到 168）",
    "console.form.reminderDays": "最后一天前几天（0：当天）",
    "console.form.reminderTime": "提醒时间",
    "console.form.reminderMessage": "提醒内容",
    "console.weekday.mon": "周一",
    "console.weekday.tue": "周二",
    "console.weekday.wed": "周三",
    "console.weekday.thu": "周四",
    "console.weekday.fri": "周五",
    "console.weekday.sat": "周六",
    "console.weekday.sun": "周日",
    "console.kind.discount": "折扣券",
    "console.kind.cash_value": "满减券",
    "console.kind.gift": "礼品券",
    "console.kind.points": "积分券",
    "console.kind.cash": "代金券",
    "console.kind.free_shipping": "免运费券",
    "console.kind.generic": "其他",
    "console.codeMode.random_on_claim": "领取时随机生成",
    "console.codeMode.generated": "预先生成",
    "console.codeMode.imported": "从文件导入",
    "console.validity.fixed": "固定日期",
    "console.validity.relative_days": "领取后若干天",
    "console.validity.hours": "领取后若干小时",
    "console.audience.everyone": "所有人",
    "console.audience.customers": "指定顾客",
    "console.audience.tags": "带标签的顾客",
    "console.audience.segment": "人群",
    "console.status.draft": "草稿",
    "console.status.active": "进行中",
    "console.status.paused": "已暂停",
    "console.status.deleted": "已删除",
  },
});
