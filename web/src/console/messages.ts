import { addMessages } from "../lib/i18n";

addMessages({
  en: {
    "console.title": "Coupon console",
    "console.notFound": "This page does not exist.",
    "console.nav.label": "Console",
    "console.nav.coupons": "Coupons",
    "console.nav.stores": "Stores",
    "console.nav.rules": "Issuance rules",
    "console.nav.points": "Points",
    "console.nav.desk": "Redemption desk",
  },
  "zh-CN": {
    "console.title": "优惠券管理后台",
    "console.notFound": "页面不存在。",
    "console.nav.label": "后台导航",
    "console.nav.coupons": "优惠券",
    "console.nav.stores": "门店",
    "console.nav.rules": "发券规则",
    "console.nav.points": "积分",
    "console.nav.desk": "核销台",
  },
});
