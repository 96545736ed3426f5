// Promoting a coupon: its offer URL per channel, the QR code in one or more print sizes (several: a ZIP) with
// no logo, a common one or the merchant's own, copy and download. The last choice (channel, sizes, logo; no
// secret) is kept in localStorage and offered again next time, where the coupon still offers it.
import { useEffect, useId, useRef, useState, type ChangeEvent } from "react";
import { api, apiBlob } from "../lib/api";
import { addMessages, useLocale } from "../lib/i18n";
import { ErrorMessage, Field, Loading, saveBlob, useLoad } from "../lib/ui";
import type { Coupon, Promotion } from "./types";

addMessages({
  en: {
    "console.promo.open": "Promote",
    "console.promo.title": "Promote “{title}”",
    "console.promo.channel": "Channel",
    "console.promo.plain": "Plain link (no channel)",
    "console.promo.url": "Offer link",
    "console.promo.sizes": "QR code sizes",
    "console.promo.size.s": "S · 8 cm",
    "console.promo.size.m": "M · 12 cm",
    "console.promo.size.l": "L · 15 cm",
    "console.promo.size.xl": "XL · 30 cm",
    "console.promo.size.xxl": "XXL · 50 cm",
    "console.promo.logo": "Logo in the middle",
    "console.promo.logo.none": "No logo",
    "console.promo.logo.star": "Star",
    "console.promo.logo.heart": "Heart",
    "console.promo.logo.gift": "Gift",
    "console.promo.logo.percent": "Percent",
    "console.promo.logo.tag": "Tag",
    "console.promo.logo.custom": "Our own logo",
    "console.promo.upload": "Upload our logo (PNG or JPEG, at most 1 MB)",
    "console.promo.uploading": "Uploading the logo…",
    "console.promo.uploaded": "Logo uploaded.",
    "console.promo.tooLarge": "The file is over 1 MB.",
    "console.promo.pickSize": "Pick at least one size.",
    "console.promo.download": "Download QR code",
    "console.promo.downloadZip": "Download {count} QR codes (ZIP)",
    "console.promo.downloading": "Preparing the download…",
    "console.promo.downloaded": "Downloaded {name}.",
    "console.promo.copyFailed": "Copying was refused by the browser: select the link and copy it.",
  },
  "zh-CN": {
    "console.promo.open": "推广",
    "console.promo.title": "推广“{title}”",
    "console.promo.channel": "渠道",
    "console.promo.plain": "普通链接（不区分渠道）",
    "console.promo.url": "领券链接",
    "console.promo.sizes": "二维码尺寸",
    "console.promo.size.s": "小 · 8 厘米",
    "console.promo.size.m": "中 · 12 厘米",
    "console.promo.size.l": "大 · 15 厘米",
    "console.promo.size.xl": "特大 · 30 厘米",
    "console.promo.size.xxl": "超大 · 50 厘米",
    "console.promo.logo": "中间的标志",
    "console.promo.logo.none": "无标志",
    "console.promo.logo.star": "星星",
    "console.promo.logo.heart": "爱心",
    "console.promo.logo.gift": "礼物",
    "console.promo.logo.percent": "百分号",
    "console.promo.logo.tag": "标签",
    "console.promo.logo.custom": "自己的标志",
    "console.promo.upload": "上传自己的标志（PNG 或 JPEG，不超过 1 MB）",
    "console.promo.uploading": "正在上传标志…",
    "console.promo.uploaded": "标志已上传。",
    "console.promo.tooLarge": "文件超过 1 MB。",
    "console.promo.pickSize": "请至少选择一种尺寸。",
    "console.promo.download": "下载二维码",
    "console.promo.downloadZip": "下载 {count} 个二维码（ZIP）",
    "console.promo.downloading": "正在准备下载…",
    "console.promo.downloaded": "已下载 {name}。",
    "console.promo.copyFailed": "浏览器拒绝了复制，请手动选中链接复制。",
  },
});

const KEPT = "coupons.console.promotion";
const MAX_LOGO = 1024 * 1024;

interface Choice {
  channel: string; // "" the plain link
  sizes: string[];
  logo: string;
}

/** The last choice kept in this browser (channel, sizes, logo: nothing secret). */
export function keptChoice(): Partial<Choice> {
  try {
    const kept = JSON.parse(localStorage.getItem(KEPT) ?? "{}");
    return typeof kept === "object" && kept ? kept : {};
  } catch {
    return {};
  }
}

/** What to offer first: the kept choice where this coupon still offers it, else the API's remembered one. */
export function initialChoice(promotion: Promotion, kept: Partial<Choice>): Choice {
  const channels = promotion.channels.map((c) => c.channel);
  const sizes = (kept.sizes ?? []).filter((s) => promotion.qr_sizes.includes(s));
  const channel = kept.channel !== undefined && (kept.channel === "" || channels.includes(kept.channel)) ? kept.channel : (promotion.channel ?? "");
  const logo = kept.logo && promotion.logos.includes(kept.logo) ? kept.logo : promotion.logo;
  return { channel, sizes: sizes.length ? sizes : [promotion.qr_sizes.includes("m") ? "m" : promotion.qr_sizes[0]], logo };
}

export function PromotionButton({ coupon }: { coupon: Coupon }) {
  const { t } = useLocale();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (open && dialog && !dialog.open) dialog.showModal();
    if (!open && dialog?.open) dialog.close();
  }, [open]);
  return (
    <>
      <button type="button" className="primary" onClick={() => setOpen(true)}>
        {t("console.promo.open")}
      </button>
      <dialog ref={ref} className="promotion-dialog" aria-labelledby={titleId} onClose={() => setOpen(false)}>
        <h2 id={titleId}>{t("console.promo.title", { title: coupon.title })}</h2>
        {open && <PromotionPanel coupon={coupon} />}
        <div className="actions">
          <button type="button" onClick={() => setOpen(false)}>
            {t("common.close")}
          </button>
        </div>
      </dialog>
    </>
  );
}

export function PromotionPanel({ coupon }: { coupon: Coupon }) {
  const [round, setRound] = useState(0);
  const path = `/coupons/${encodeURIComponent(coupon.coupon_id)}/promotion`;
  const loaded = useLoad((signal) => api<Promotion>("GET", path, { signal }), [path, round]);
  if (loaded.loading && !loaded.data) return <Loading />;
  if (loaded.error) return <ErrorMessage error={loaded.error} onRetry={loaded.reload} />;
  if (!loaded.data) return null;
  return <Chooser key={round} coupon={coupon} promotion={loaded.data} onLogo={() => setRound((r) => r + 1)} />;
}

function Chooser({ coupon, promotion, onLogo }: { coupon: Coupon; promotion: Promotion; onLogo: () => void }) {
  const { t } = useLocale();
  const [choice, setChoice] = useState<Choice>(() => initialChoice(promotion, keptChoice()));
  const [status, setStatus] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const sizesId = useId();
  const path = `/coupons/${encodeURIComponent(coupon.coupon_id)}/promotion`;
  const change = (patch: Partial<Choice>) => {
    const next = { ...choice, ...patch };
    setChoice(next);
    localStorage.setItem(KEPT, JSON.stringify(next));
  };
  const url = choice.channel ? (promotion.channels.find((c) => c.channel === choice.channel)?.url ?? promotion.url) : promotion.url;

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (caught) {
      setError(caught);
      setStatus(undefined);
    } finally {
      setBusy(false);
    }
  }
  const download = () =>
    run(async () => {
      setStatus(t("console.promo.downloading"));
      const blob = await apiBlob(`${path}/qr`, { query: { size: choice.sizes.join(","), channel: choice.channel, logo: choice.logo } });
      const zip = blob.type.includes("zip");
      const name = `coupon-${coupon.coupon_id}-qr${choice.channel ? `-${choice.channel}` : ""}${zip ? "" : `-${choice.sizes[0]}`}.${zip ? "zip" : "png"}`;
      saveBlob(blob, name);
      setStatus(t("console.promo.downloaded", { name }));
    });
  const copy = () =>
    run(async () => {
      try {
        await navigator.clipboard.writeText(url);
        setStatus(t("common.copied"));
      } catch {
        setStatus(t("console.promo.copyFailed"));
      }
    });
  const upload = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (!file) return;
    if (file.size > MAX_LOGO) return setStatus(t("console.promo.tooLarge"));
    run(async () => {
      setStatus(t("console.promo.uploading"));
      const bytes = new Uint8Array(await file.arrayBuffer());
      let text = "";
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      await api("PUT", `${path}/logo`, { body: { image: btoa(text) } });
      localStorage.setItem(KEPT, JSON.stringify({ ...choice, logo: "custom" }));
      setStatus(t("console.promo.uploaded"));
      onLogo();
    });
  };
  const toggleSize = (size: string, on: boolean) => change({ sizes: on ? promotion.qr_sizes.filter((s) => s === size || choice.sizes.includes(s)) : choice.sizes.filter((s) => s !== size) });

  return (
    <div className="promotion">
      <Field label={t("console.promo.channel")}>
        {(p) => (
          <select {...p} value={choice.channel} onChange={(e) => change({ channel: e.target.value })}>
            <option value="">{t("console.promo.plain")}</option>
            {promotion.channels.map((c) => (
              <option key={c.channel} value={c.channel}>
                {c.channel}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t("console.promo.url")}>
        {(p) => (
          <div className="copy-row">
            <input {...p} readOnly value={url} onFocus={(e) => e.target.select()} />
            <button type="button" onClick={copy}>
              {t("common.copy")}
            </button>
          </div>
        )}
      </Field>
      <fieldset className="sizes" aria-describedby={choice.sizes.length ? undefined : sizesId}>
        <legend>{t("console.promo.sizes")}</legend>
        {promotion.qr_sizes.map((size) => (
          <label key={size}>
            <input type="checkbox" checked={choice.sizes.includes(size)} onChange={(e) => toggleSize(size, e.target.checked)} /> {t(`console.promo.size.${size}`)}
          </label>
        ))}
        {!choice.sizes.length && (
          <small id={sizesId} className="field-error">
            {t("console.promo.pickSize")}
          </small>
        )}
      </fieldset>
      <Field label={t("console.promo.logo")}>
        {(p) => (
          <select {...p} value={choice.logo} onChange={(e) => change({ logo: e.target.value })}>
            {promotion.logos.map((logo) => (
              <option key={logo} value={logo}>
                {t(`console.promo.logo.${logo}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t("console.promo.upload")}>{(p) => <input {...p} type="file" accept="image/png,image/jpeg" onChange={upload} disabled={busy} />}</Field>
      {Boolean(error) && <ErrorMessage error={error} />}
      <p role="status" className="hint">
        {status}
      </p>
      <div className="actions">
        <button type="button" className="primary" disabled={busy || !choice.sizes.length} onClick={download}>
          {choice.sizes.length > 1 ? t("console.promo.downloadZip", { count: choice.sizes.length }) : t("console.promo.download")}
        </button>
      </div>
    </div>
  );
}
