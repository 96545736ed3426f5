import { addMessages } from "../lib/i18n";

addMessages({
  en: {
    "customer.notFound": "This page does not exist.",
    "customer.nav.label": "Pages",
    "customer.nav.center": "Coupon center",
    "customer.nav.mine": "My coupons",
  },
  "zh-CN": {
    "customer.notFound": "页面不存在。",
    "customer.nav.label": "页面导航",
    "customer.nav.center": "领券中心",
    "customer.nav.mine": "我的券",
  },
});
