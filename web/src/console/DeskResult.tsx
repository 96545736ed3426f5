// The desk's big result states: what a check found (valid, or refused and why), a redemption, a reversal.
import { ApiError } from "../lib/api";
import { formatMoney, formatTime } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { errorText } from "../lib/ui";

export interface Redemption {
  redemption_id: string | null;
  claim_id: string;
  coupon_id: string;
  store_id?: string | null;
  order_id?: string | null;
  order_amount?: number | null;
  currency?: string | null;
  discount?: number | null;
  item?: string | null;
  points?: number | null;
  terms_confirmed_by_staff?: boolean | null;
  redeemed_at: string;
  reversed_at?: string | null;
  usable_again?: boolean | null;
}

// Refusals the desk names in the staff's language; any other shows the API's own message.
const REASONS = [
  "already_used",
  "unknown_code",
  "mistyped_code",
  "expired",
  "not_started",
  "void",
  "below_min_spend",
  "wrong_currency",
  "out_of_scope_line",
  "no_eligible_lines",
  "no_shipping_fee",
  "not_at_this_merchant",
  "order_required",
  "store_required",
  "not_valid_at_store",
  "other_store",
  "outside_time_frame",
  "budget_exhausted",
  "too_many_unknown_codes",
  "not_combinable",
  "stacking_limit",
  "coupon_already_on_order",
  "order_already_discounted",
] as const;

addMessages({
  en: {
    "console.desk.valid": "Valid",
    "console.desk.validHint": "Nothing is redeemed yet: redeem to use the coupon.",
    "console.desk.refused": "Refused",
    "console.desk.redeemed": "Redeemed",
    "console.desk.reversed": "Reversed",
    "console.desk.usableAgain": "The coupon can be used again: the customer finds it in their wallet with a new code.",
    "console.desk.notUsableAgain": "The coupon's window has closed: it cannot be used again.",
    "console.desk.discount": "Takes off",
    "console.desk.payable": "Customer pays",
    "console.desk.orderAmount": "Order",
    "console.desk.item": "Hand over",
    "console.desk.points": "Points",
    "console.desk.confirmTerms": "No order given: check the coupon's terms with the customer.",
    "console.desk.noOrder": "No order given: the coupon's own terms apply.",
    "console.desk.redemptionId": "Redemption",
    "console.desk.orderId": "Order number",
    "console.desk.at": "At",
    "console.desk.reason.already_used": "This coupon has already been used.",
    "console.desk.reason.unknown_code": "No coupon has this code. Check it and type it again.",
    "console.desk.reason.mistyped_code": "This code was mistyped: a character is wrong.",
    "console.desk.reason.expired": "This coupon has expired.",
    "console.desk.reason.not_started": "This coupon cannot be used yet.",
    "console.desk.reason.void": "This coupon was voided by the merchant.",
    "console.desk.reason.below_min_spend": "The order is below the coupon's minimum spend.",
    "console.desk.reason.wrong_currency": "The order is in another currency than the coupon.",
    "console.desk.reason.out_of_scope_line": "The order has items this coupon does not cover.",
    "console.desk.reason.no_eligible_lines": "No item of the order is covered by this coupon.",
    "console.desk.reason.no_shipping_fee": "This coupon takes off shipping, and the order has none.",
    "console.desk.reason.not_at_this_merchant": "This coupon is not usable at this merchant.",
    "console.desk.reason.order_required": "This coupon's terms depend on the order: enter the order's lines.",
    "console.desk.reason.store_required": "This coupon is limited to some stores: choose the store.",
    "console.desk.reason.not_valid_at_store": "This coupon is not valid at this store.",
    "console.desk.reason.other_store": "Your account works at another store.",
    "console.desk.reason.outside_time_frame": "This coupon cannot be used at this time of the week.",
    "console.desk.reason.budget_exhausted": "The coupon's budget is spent.",
    "console.desk.reason.too_many_unknown_codes": "Too many unknown codes: wait a few minutes.",
    "console.desk.reason.not_combinable": "This coupon cannot be combined with the coupons already on this order.",
    "console.desk.reason.stacking_limit": "This order already has as many coupons as allowed.",
    "console.desk.reason.coupon_already_on_order": "This coupon is already on this order.",
    "console.desk.reason.order_already_discounted": "This order already has a coupon that does not stack.",
  },
  "zh-CN": {
    "console.desk.valid": "可以使用",
    "console.desk.validHint": "尚未核销：点击核销后才会使用此券。",
    "console.desk.refused": "不可使用",
    "console.desk.redeemed": "核销成功",
    "console.desk.reversed": "已撤销核销",
    "console.desk.usableAgain": "此券可再次使用：顾客的券包中会显示新的券码。",
    "console.desk.notUsableAgain": "此券已过有效期，无法再次使用。",
    "console.desk.discount": "优惠金额",
    "console.desk.payable": "顾客应付",
    "console.desk.orderAmount": "订单金额",
    "console.desk.item": "赠送商品",
    "console.desk.points": "积分",
    "console.desk.confirmTerms": "未填写订单：请与顾客核对券的使用条件。",
    "console.desk.noOrder": "未填写订单：按券本身的条件使用。",
    "console.desk.redemptionId": "核销编号",
    "console.desk.orderId": "订单号",
    "console.desk.at": "时间",
    "console.desk.reason.already_used": "此券已被使用。",
    "console.desk.reason.unknown_code": "没有此券码对应的优惠券，请核对后重新输入。",
    "console.desk.reason.mistyped_code": "券码输入有误：有字符不正确。",
    "console.desk.reason.expired": "此券已过期。",
    "console.desk.reason.not_started": "此券尚未到可用时间。",
    "console.desk.reason.void": "此券已被商户作废。",
    "console.desk.reason.below_min_spend": "订单金额未达到此券的最低消费。",
    "console.desk.reason.wrong_currency": "订单币种与此券不一致。",
    "console.desk.reason.out_of_scope_line": "订单中有此券不适用的商品。",
    "console.desk.reason.no_eligible_lines": "订单中没有此券适用的商品。",
    "console.desk.reason.no_shipping_fee": "此券抵扣运费，但订单没有运费。",
    "console.desk.reason.not_at_this_merchant": "此券不能在本商户使用。",
    "console.desk.reason.order_required": "此券的使用条件取决于订单：请填写订单商品。",
    "console.desk.reason.store_required": "此券仅限部分门店使用：请选择门店。",
    "console.desk.reason.not_valid_at_store": "此券不能在本门店使用。",
    "console.desk.reason.other_store": "您的账号属于其他门店。",
    "console.desk.reason.outside_time_frame": "此券在当前时段不可使用。",
    "console.desk.reason.budget_exhausted": "此券的预算已用完。",
    "console.desk.reason.too_many_unknown_codes": "无效券码过多，请几分钟后再试。",
    "console.desk.reason.not_combinable": "此券不能与订单上已有的券叠加使用。",
    "console.desk.reason.stacking_limit": "此订单使用的券已达上限。",
    "console.desk.reason.coupon_already_on_order": "此券已用于此订单。",
    "console.desk.reason.order_already_discounted": "此订单已使用了不可叠加的券。",
  },
});

/** A refusal in the staff's language when the desk knows its reason, else the API's message. */
export function refusalText(error: unknown, t: (key: string, vars?: Record<string, string | number>) => string): string {
  if (error instanceof ApiError && (REASONS as readonly string[]).includes(error.code)) return t(`console.desk.reason.${error.code}`);
  return errorText(error, t);
}

function Figures({ r }: { r: Redemption }) {
  const { t, locale } = useLocale();
  const money = (minor: number) => (r.currency ? formatMoney(minor, r.currency, locale) : String(minor));
  return (
    <dl className="desk-figures">
      {r.discount != null && (
        <>
          <dt>{t("console.desk.discount")}</dt>
          <dd className="big">{money(r.discount)}</dd>
        </>
      )}
      {r.order_amount != null && r.discount != null && (
        <>
          <dt>{t("console.desk.payable")}</dt>
          <dd>{money(r.order_amount - r.discount)}</dd>
          <dt>{t("console.desk.orderAmount")}</dt>
          <dd>{money(r.order_amount)}</dd>
        </>
      )}
      {r.item && (
        <>
          <dt>{t("console.desk.item")}</dt>
          <dd>{r.item}</dd>
        </>
      )}
      {r.points != null && (
        <>
          <dt>{t("console.desk.points")}</dt>
          <dd>{r.points}</dd>
        </>
      )}
      {r.order_id && (
        <>
          <dt>{t("console.desk.orderId")}</dt>
          <dd>{r.order_id}</dd>
        </>
      )}
      {r.redemption_id && (
        <>
          <dt>{t("console.desk.redemptionId")}</dt>
          <dd>
            <code>{r.redemption_id}</code>
          </dd>
        </>
      )}
    </dl>
  );
}

export function CheckResult({ check }: { check: Redemption }) {
  const { t } = useLocale();
  return (
    <div className="desk-result ok" role="status">
      <p className="state">{t("console.desk.valid")}</p>
      <Figures r={{ ...check, redemption_id: null }} />
      {check.discount == null && <p>{t(check.terms_confirmed_by_staff ? "console.desk.confirmTerms" : "console.desk.noOrder")}</p>}
      <p className="hint">{t("console.desk.validHint")}</p>
    </div>
  );
}

export function Refused({ error }: { error: unknown }) {
  const { t } = useLocale();
  return (
    <div className="desk-result refused" role="alert">
      <p className="state">{t("console.desk.refused")}</p>
      <p className="why">{refusalText(error, t)}</p>
    </div>
  );
}

export function Redeemed({ redemption, timeZone }: { redemption: Redemption; timeZone: string }) {
  const { t, locale } = useLocale();
  const reversed = Boolean(redemption.reversed_at);
  return (
    <div className={reversed ? "desk-result reversed" : "desk-result ok"} role="status">
      <p className="state">{t(reversed ? "console.desk.reversed" : "console.desk.redeemed")}</p>
      {reversed && <p>{t(redemption.usable_again ? "console.desk.usableAgain" : "console.desk.notUsableAgain")}</p>}
      <Figures r={redemption} />
      <p className="hint">
        {t("console.desk.at")}: {formatTime(redemption.reversed_at ?? redemption.redeemed_at, timeZone, locale)}
      </p>
    </div>
  );
}
