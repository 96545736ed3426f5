// Two languages, chosen from the browser and switchable; each area of the app registers its own catalogue.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

export const LOCALES = ["en", "zh-CN"] as const;
export type Locale = (typeof LOCALES)[number];
export type Catalogue = Record<Locale, Record<string, string>>;

const catalogues: Catalogue = { en: {}, "zh-CN": {} };

/** Add an area's messages (both languages must name the same keys: a test checks every catalogue). */
export function addMessages(messages: Catalogue): void {
  for (const locale of LOCALES) Object.assign(catalogues[locale], messages[locale]);
}

export function registeredCatalogues(): Catalogue {
  return catalogues;
}

export function pickLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower.startsWith("zh")) return "zh-CN";
    if (lower.startsWith("en")) return "en";
  }
  return "en";
}

/** `{name}` placeholders filled from vars; a missing key shows itself, so it is seen and fixed. */
export function translate(locale: Locale, key: string, vars?: Record<string, string | number>): string {
  const template = catalogues[locale][key] ?? catalogues.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (vars && name in vars ? String(vars[name]) : whole));
}

const STORAGE = "coupons.locale";

interface LocaleState {
  locale: Locale;
  setLocale(locale: Locale): void;
  t(key: string, vars?: Record<string, string | number>): string;
}

const LocaleContext = createContext<LocaleState | null>(null);

export function LocaleProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(() => {
    const kept = localStorage.getItem(STORAGE);
    return (LOCALES as readonly string[]).includes(kept ?? "") ? (kept as Locale) : pickLocale(navigator.languages ?? []);
  });
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const setLocale = useCallback((next: Locale) => {
    localStorage.setItem(STORAGE, next);
    setLocaleState(next);
  }, []);
  const t = useCallback((key: string, vars?: Record<string, string | number>) => translate(locale, key, vars), [locale]);
  const value = useMemo(() => ({ locale, setLocale, t }), [locale, setLocale, t]);
  return <LocaleContext.Provider value={value}>{children}</LocaleContext.Provider>;
}

export function useLocale(): LocaleState {
  const state = useContext(LocaleContext);
  if (!state) throw new Error("useLocale outside LocaleProvider");
  return state;
}

addMessages({
  en: {
    "app.name": "Coupons",
    "lang.label": "Language",
    "lang.en": "English",
    "lang.zh-CN": "中文",
    "common.loading": "Loading…",
    "common.retry": "Try again",
    "common.save": "Save",
    "common.cancel": "Cancel",
    "common.close": "Close",
    "common.delete": "Delete",
    "common.confirm": "Confirm",
    "common.back": "Back",
    "common.more": "Load more",
    "common.empty": "Nothing here yet.",
    "common.copy": "Copy",
    "common.copied": "Copied",
    "common.download": "Download",
    "error.network": "The service could not be reached. Check the connection and try again.",
    "error.generic": "Something went wrong ({status}). Try again.",
    "error.throttled": "Too many requests. Try again in {seconds} s.",
    "error.unauthorized": "Your sign-in has ended. Sign in again.",
    "nav.signOut": "Sign out",
    "signIn.title": "Sign in",
    "signIn.local": "Local sign-in: any role and id (this stack only)",
    "signIn.role": "Role",
    "signIn.user": "User id",
    "signIn.merchant": "Merchant id",
    "signIn.store": "Store id (staff, optional)",
    "signIn.name": "Display name (optional)",
    "signIn.submit": "Sign in",
    "signIn.cognito": "Sign in with your account",
    "role.customer": "Customer",
    "role.merchant": "Merchant",
    "role.staff": "Store staff",
    "role.platform": "Platform",
  },
  "zh-CN": {
    "app.name": "优惠券",
    "lang.label": "语言",
    "lang.en": "English",
    "lang.zh-CN": "中文",
    "common.loading": "加载中…",
    "common.retry": "重试",
    "common.save": "保存",
    "common.cancel": "取消",
    "common.close": "关闭",
    "common.delete": "删除",
    "common.confirm": "确认",
    "common.back": "返回",
    "common.more": "加载更多",
    "common.empty": "暂无内容。",
    "common.copy": "复制",
    "common.copied": "已复制",
    "common.download": "下载",
    "error.network": "无法连接服务，请检查网络后重试。",
    "error.generic": "出错了（{status}），请重试。",
    "error.throttled": "请求过于频繁，请 {seconds} 秒后重试。",
    "error.unauthorized": "登录已失效，请重新登录。",
    "nav.signOut": "退出登录",
    "signIn.title": "登录",
    "signIn.local": "本地登录：任意角色与编号（仅限本地环境）",
    "signIn.role": "角色",
    "signIn.user": "用户编号",
    "signIn.merchant": "商户编号",
    "signIn.store": "门店编号（店员，可选）",
    "signIn.name": "显示名称（可选）",
    "signIn.submit": "登录",
    "signIn.cognito": "使用账号登录",
    "role.customer": "顾客",
    "role.merchant": "商户",
    "role.staff": "店员",
    "role.platform": "平台",
  },
});
