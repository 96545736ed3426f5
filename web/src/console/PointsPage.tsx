// The merchant's points (/console/points): the programme's settings and a customer's ledger with adjustments.
import { api } from "../lib/api";
import type { Session } from "../lib/auth";
import { addMessages, useLocale } from "../lib/i18n";
import { useLoad } from "../lib/ui";
import "./coupons.css";
import { PointsCustomer } from "./PointsCustomer";
import { PointsSettingsPanel } from "./PointsSettingsForm";
import type { PointsSettings } from "./pointsSettings";

addMessages({
  en: { "console.points.title": "Points" },
  "zh-CN": { "console.points.title": "积分" },
});

export function PointsPage({ session }: { session: Session }) {
  const { t } = useLocale();
  void session;
  // Read once: the form's settings, and the programme's zone (the merchant's) for a customer's entries.
  const settings = useLoad((signal) => api<PointsSettings>("GET", "/merchant/points/settings", { signal }), []);
  return (
    <section>
      <h1>{t("console.points.title")}</h1>
      <PointsSettingsPanel load={settings} />
      <PointsCustomer timeZone={settings.data?.time_zone ?? "UTC"} />
    </section>
  );
}
