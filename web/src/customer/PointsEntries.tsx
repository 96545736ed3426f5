// A ledger's entries (customer and console): when, why, the signed points, a credit's expiry, a take-back's
// shortfall, what of a credit paid points owed, an adjustment's author.
import { addMessages, useLocale } from "../lib/i18n";
import { formatTime } from "../lib/format";
import { say } from "./offerText";
import { reasonText, signedPoints, type PointsEntry } from "./pointsText";

addMessages({
  en: {
    "customer.points.none": "No points yet.",
    "customer.points.expires": "expires {when}",
    "customer.points.shortfall": "{points} could not be taken back",
    "customer.points.repaid": "{points} paid points owed",
    "customer.points.by": "by {by}",
    "customer.points.reason.order": "Order",
    "customer.points.reason.refund": "Order refunded",
    "customer.points.reason.check_in": "Daily check-in",
    "customer.points.reason.streak_bonus": "Check-in streak bonus",
    "customer.points.reason.profile_completed": "Profile completed",
    "customer.points.reason.card_bound": "Loyalty card linked",
    "customer.points.reason.invitation_accepted": "Invitation accepted",
    "customer.points.reason.content_shared": "Shared",
    "customer.points.reason.content_posted": "Posted",
    "customer.points.reason.birthday": "Birthday",
    "customer.points.reason.coupon_claim": "Coupon claimed",
    "customer.points.reason.claim_voided": "Coupon voided: points returned",
    "customer.points.reason.points_coupon": "Points coupon used",
    "customer.points.reason.points_coupon_reversed": "Points coupon use reversed",
    "customer.points.reason.adjustment": "Adjusted by the shop",
    "customer.points.reason.adjustmentNote": "Adjusted by the shop: {note}",
    "customer.points.reason.expiry": "Expired",
    "customer.points.reason.other": "Other ({reason})",
  },
  "zh-CN": {
    "customer.points.none": "暂无积分记录。",
    "customer.points.expires": "{when} 过期",
    "customer.points.shortfall": "{points} 积分未能扣回",
    "customer.points.repaid": "其中 {points} 积分用于抵扣欠分",
    "customer.points.by": "操作人 {by}",
    "customer.points.reason.order": "订单积分",
    "customer.points.reason.refund": "订单退款",
    "customer.points.reason.check_in": "每日签到",
    "customer.points.reason.streak_bonus": "连续签到奖励",
    "customer.points.reason.profile_completed": "完善资料",
    "customer.points.reason.card_bound": "绑定会员卡",
    "customer.points.reason.invitation_accepted": "邀请成功",
    "customer.points.reason.content_shared": "分享",
    "customer.points.reason.content_posted": "发布内容",
    "customer.points.reason.birthday": "生日礼",
    "customer.points.reason.coupon_claim": "兑换优惠券",
    "customer.points.reason.claim_voided": "优惠券作废，积分退回",
    "customer.points.reason.points_coupon": "使用积分券",
    "customer.points.reason.points_coupon_reversed": "积分券使用已撤销",
    "customer.points.reason.adjustment": "商家调整",
    "customer.points.reason.adjustmentNote": "商家调整：{note}",
    "customer.points.reason.expiry": "积分过期",
    "customer.points.reason.other": "其他（{reason}）",
  },
});

export function EntryList({ entries, timeZone, showBy = false }: { entries: PointsEntry[]; timeZone: string; showBy?: boolean }) {
  const { t, locale } = useLocale();
  if (entries.length === 0) return <p>{t("customer.points.none")}</p>;
  return (
    <ul className="entries">
      {entries.map((entry) => (
        <li key={entry.entry_id} className="entry">
          <span className="entry-reason">{say(t, reasonText(entry))}</span>
          <span className={entry.points < 0 ? "entry-points debit" : "entry-points credit"}>{signedPoints(entry.points, locale)}</span>
          <small className="entry-when">
            {formatTime(entry.at, timeZone, locale)}
            {entry.expires_at && entry.expires_at !== "never" ? ` · ${t("customer.points.expires", { when: formatTime(entry.expires_at, timeZone, locale) })}` : ""}
            {entry.shortfall ? ` · ${t("customer.points.shortfall", { points: entry.shortfall })}` : ""}
            {entry.repaid ? ` · ${t("customer.points.repaid", { points: entry.repaid })}` : ""}
            {showBy && entry.by ? ` · ${t("customer.points.by", { by: entry.by })}` : ""}
          </small>
        </li>
      ))}
    </ul>
  );
}
