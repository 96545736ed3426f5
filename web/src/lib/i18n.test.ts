import { describe, expect, it } from "vitest";
import { LOCALES, pickLocale, registeredCatalogues, translate } from "./i18n";
import "../catalogues";

describe("catalogues", () => {
  it("name the same keys in every language, none empty", () => {
    const catalogues = registeredCatalogues();
    const english = Object.keys(catalogues.en).sort();
    expect(english.length).toBeGreaterThan(20);
    for (const locale of LOCALES) {
      expect(Object.keys(catalogues[locale]).sort()).toEqual(english);
      for (const [key, text] of Object.entries(catalogues[locale])) expect(text.trim(), key).not.toBe("");
    }
  });

  it("use the same placeholders in every language", () => {
    const catalogues = registeredCatalogues();
    const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, text] of Object.entries(catalogues.en)) expect(names(catalogues["zh-CN"][key]), key).toEqual(names(text));
  });
});

describe("locale", () => {
  it("follows the browser and falls back to English", () => {
    expect(pickLocale(["zh-TW", "en"])).toBe("zh-CN");
    expect(pickLocale(["fr", "en-GB"])).toBe("en");
    expect(pickLocale(["fr"])).toBe("en");
    expect(translate("zh-CN", "error.throttled", { seconds: 3 })).toBe("请求过于频繁，请 3 秒后重试。");
  });
});
