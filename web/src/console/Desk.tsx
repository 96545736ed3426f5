// The staff redemption desk (/console/desk): scan or type a code, optionally the order and the store; check
// what the code gives for it (POST /redemptions/validation), redeem (POST /redemptions), and for the merchant
// reverse (POST /redemptions/{id}/reversal). A typed code lives only in this page's state: never in a URL
// or storage, and the field is emptied once the code is redeemed.
import { useCallback, useState, type FormEvent } from "react";
import { api, ApiError, newIdempotencyKey } from "../lib/api";
import type { Session } from "../lib/auth";
import { addMessages, useLocale } from "../lib/i18n";
import { ErrorMessage, Field, useLoad } from "../lib/ui";
import { blankLine, buildOrder, deskOrderId, type LineDraft, type LineProblem } from "./deskOrder";
import { CheckResult, Redeemed, Refused, type Redemption } from "./DeskResult";
import { ReverseButton, ReverseById } from "./DeskReversal";
import { canScan, Scanner } from "./Scanner";
import "./desk.css";

addMessages({
  en: {
    "console.desk.title": "Redemption desk",
    "console.desk.code": "Coupon code",
    "console.desk.codeHint": "Scan the customer's QR code or type the code shown under it.",
    "console.desk.scan": "Scan with the camera",
    "console.desk.store": "Store",
    "console.desk.noStore": "No store",
    "console.desk.yourStore": "Your store: {store}",
    "console.desk.order": "Order (optional)",
    "console.desk.orderHint": "Enter the order's items to apply the coupon's minimum spend and scope, and see what it takes off.",
    "console.desk.orderNumber": "Order number (optional)",
    "console.desk.currency": "Currency",
    "console.desk.line": "Item {n}",
    "console.desk.sku": "Item code (SKU)",
    "console.desk.unitPrice": "Unit price",
    "console.desk.quantity": "Quantity",
    "console.desk.addLine": "Add an item",
    "console.desk.removeLine": "Remove item {n}",
    "console.desk.check": "Check the code",
    "console.desk.checking": "Checking…",
    "console.desk.redeem": "Redeem",
    "console.desk.redeeming": "Redeeming…",
    "console.desk.next": "Next customer",
    "console.desk.retryHint": "The answer was lost: redeeming again is safe, the coupon is not used twice.",
    "console.desk.problem.required": "Enter the item code.",
    "console.desk.problem.sku": "Letters, digits and - _ . : only.",
    "console.desk.problem.money": "An amount in {currency}, like {example}.",
    "console.desk.problem.quantity": "A whole number from 1 to 10,000.",
  },
  "zh-CN": {
    "console.desk.title": "核销台",
    "console.desk.code": "券码",
    "console.desk.codeHint": "扫描顾客的二维码，或输入二维码下方的券码。",
    "console.desk.scan": "用摄像头扫码",
    "console.desk.store": "门店",
    "console.desk.noStore": "不指定门店",
    "console.desk.yourStore": "您的门店：{store}",
    "console.desk.order": "订单（可选）",
    "console.desk.orderHint": "填写订单商品，按券的最低消费和适用范围计算优惠金额。",
    "console.desk.orderNumber": "订单号（可选）",
    "console.desk.currency": "币种",
    "console.desk.line": "商品 {n}",
    "console.desk.sku": "商品编码（SKU）",
    "console.desk.unitPrice": "单价",
    "console.desk.quantity": "数量",
    "console.desk.addLine": "添加商品",
    "console.desk.removeLine": "删除商品 {n}",
    "console.desk.check": "校验券码",
    "console.desk.checking": "校验中…",
    "console.desk.redeem": "核销",
    "console.desk.redeeming": "核销中…",
    "console.desk.next": "下一位顾客",
    "console.desk.retryHint": "未收到应答：可放心再次核销，同一张券不会被重复使用。",
    "console.desk.problem.required": "请输入商品编码。",
    "console.desk.problem.sku": "只能包含字母、数字及 - _ . :。",
    "console.desk.problem.money": "请输入 {currency} 金额，例如 {example}。",
    "console.desk.problem.quantity": "请输入 1 到 10,000 之间的整数。",
  },
});

const CURRENCIES = ["CNY", "HKD", "TWD", "JPY", "KRW", "SGD", "USD", "EUR", "GBP", "AUD"];

interface Store {
  store_id: string;
  name: string;
  time_zone: string;
}

// What the desk is doing: a check's answer carries the redemption intent it was made for (its key and order
// id, made once), so that a redeem sent again after a lost answer is the same redemption.
type Stage =
  | { kind: "idle" }
  | { kind: "refused"; error: unknown }
  | { kind: "checked"; check: Redemption; body: RedeemBody; key: string; error?: unknown }
  | { kind: "redeemed"; redemption: Redemption };

interface RedeemBody {
  code: string;
  store_id?: string;
  order_id: string;
  order?: object;
}

function problemText(problem: LineProblem, currency: string, t: (k: string, v?: Record<string, string | number>) => string) {
  return t(`console.desk.problem.${problem.reason}`, { currency, example: currency === "JPY" || currency === "KRW" ? "1200" : "12.50" });
}

export function Desk({ session }: { session: Session }) {
  const { t } = useLocale();
  const merchant = session.role !== "staff";
  const stores = useLoad(
    (signal) => (merchant ? api<{ items: Store[] }>("GET", "/stores", { query: { limit: 100 }, signal }).then((p) => p.items) : Promise.resolve([])),
    [merchant],
  );
  const [code, setCode] = useState("");
  const [store, setStore] = useState(session.storeId ?? "");
  const [orderNumber, setOrderNumber] = useState("");
  const [currency, setCurrency] = useState("CNY");
  const [lines, setLines] = useState<LineDraft[]>([blankLine()]);
  const [problem, setProblem] = useState<LineProblem>();
  const [stage, setStage] = useState<Stage>({ kind: "idle" });
  const [busy, setBusy] = useState(false);
  const [scanning, setScanning] = useState(false);

  // Any change to what was checked drops the check: a redemption is only sent for what was checked.
  const edited = () => stage.kind !== "redeemed" && setStage({ kind: "idle" });
  const setLine = (index: number, field: keyof LineDraft, value: string) => {
    setLines((all) => all.map((line, i) => (i === index ? { ...line, [field]: value } : line)));
    setProblem(undefined);
    edited();
  };
  const scanned = useCallback((value: string) => {
    setScanning(false);
    setCode(value);
    setStage({ kind: "idle" });
  }, []);

  const check = async (event: FormEvent) => {
    event.preventDefault();
    const built = buildOrder(lines, currency, session.merchantId ?? "");
    if (built.problem) return setProblem(built.problem);
    const body: RedeemBody = { code: code.trim(), order_id: deskOrderId(orderNumber, newIdempotencyKey()) };
    if (store) body.store_id = store;
    if (built.order) body.order = built.order;
    setBusy(true);
    try {
      const found = await api<Redemption>("POST", "/redemptions/validation", { body });
      setStage({ kind: "checked", check: found, body, key: newIdempotencyKey() });
    } catch (error) {
      setStage({ kind: "refused", error });
    } finally {
      setBusy(false);
    }
  };

  const redeem = async () => {
    if (stage.kind !== "checked") return;
    setBusy(true);
    try {
      const redemption = await api<Redemption>("POST", "/redemptions", { body: stage.body, idempotencyKey: stage.key });
      setCode("");
      setStage({ kind: "redeemed", redemption });
    } catch (error) {
      // Lost or refused for now (network, busy): keep the intent, so the retry is the same redemption.
      const again = error instanceof ApiError && (error.status === 0 || error.status >= 500 || error.status === 429);
      setStage(again ? { ...stage, error } : { kind: "refused", error });
    } finally {
      setBusy(false);
    }
  };

  const next = () => {
    setCode("");
    setOrderNumber("");
    setLines([blankLine()]);
    setStage({ kind: "idle" });
  };

  const storeZone = stores.data?.find((s) => s.store_id === store)?.time_zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;

  return (
    <section className="desk">
      <h1>{t("console.desk.title")}</h1>
      <form onSubmit={check} className="card" autoComplete="off">
        <Field label={t("console.desk.code")} hint={t("console.desk.codeHint")}>
          {(props) => (
            <input
              {...props}
              className="desk-code"
              value={code}
              required
              minLength={4}
              maxLength={80}
              spellCheck={false}
              autoCapitalize="characters"
              autoCorrect="off"
              onChange={(e) => {
                setCode(e.target.value);
                edited();
              }}
            />
          )}
        </Field>
        {canScan() &&
          (scanning ? (
            <Scanner onCode={scanned} onClose={() => setScanning(false)} />
          ) : (
            <button type="button" onClick={() => setScanning(true)}>
              {t("console.desk.scan")}
            </button>
          ))}
        {session.storeId ? (
          <p>{t("console.desk.yourStore", { store: session.storeId })}</p>
        ) : merchant ? (
          stores.error ? (
            <ErrorMessage error={stores.error} onRetry={stores.reload} />
          ) : (
            <Field label={t("console.desk.store")}>
              {(props) => (
                <select {...props} value={store} onChange={(e) => (setStore(e.target.value), edited())} disabled={stores.loading}>
                  <option value="">{t("console.desk.noStore")}</option>
                  {stores.data?.map((s) => (
                    <option key={s.store_id} value={s.store_id}>
                      {s.name} ({s.store_id})
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )
        ) : (
          <Field label={t("console.desk.store")}>
            {(props) => <input {...props} value={store} onChange={(e) => (setStore(e.target.value), edited())} maxLength={64} />}
          </Field>
        )}
        <fieldset className="desk-order">
          <legend>{t("console.desk.order")}</legend>
          <p className="hint">{t("console.desk.orderHint")}</p>
          <div className="desk-row">
            <Field label={t("console.desk.orderNumber")}>
              {(props) => <input {...props} value={orderNumber} maxLength={64} onChange={(e) => (setOrderNumber(e.target.value), edited())} />}
            </Field>
            <Field label={t("console.desk.currency")}>
              {(props) => (
                <select {...props} value={currency} onChange={(e) => (setCurrency(e.target.value), setProblem(undefined), edited())}>
                  {CURRENCIES.map((c) => (
                    <option key={c}>{c}</option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          {lines.map((line, index) => {
            const wrong = (field: keyof LineDraft) => (problem?.line === index && problem.field === field ? problemText(problem, currency, t) : undefined);
            return (
              <fieldset key={index} className="desk-line">
                <legend>{t("console.desk.line", { n: index + 1 })}</legend>
                <Field label={t("console.desk.sku")} error={wrong("sku")}>
                  {(props) => <input {...props} value={line.sku} onChange={(e) => setLine(index, "sku", e.target.value)} />}
                </Field>
                <Field label={t("console.desk.unitPrice")} error={wrong("unitPrice")}>
                  {(props) => <input {...props} inputMode="decimal" value={line.unitPrice} onChange={(e) => setLine(index, "unitPrice", e.target.value)} />}
                </Field>
                <Field label={t("console.desk.quantity")} error={wrong("quantity")}>
                  {(props) => <input {...props} inputMode="numeric" value={line.quantity} onChange={(e) => setLine(index, "quantity", e.target.value)} />}
                </Field>
                {lines.length > 1 && (
                  <button type="button" onClick={() => (setLines((all) => all.filter((_, i) => i !== index)), setProblem(undefined), edited())}>
                    {t("console.desk.removeLine", { n: index + 1 })}
                  </button>
                )}
              </fieldset>
            );
          })}
          <button type="button" onClick={() => (setLines((all) => [...all, blankLine()]), edited())}>
            {t("console.desk.addLine")}
          </button>
        </fieldset>
        <div className="actions">
          <button type="submit" disabled={busy || code.trim().length < 4}>
            {busy && stage.kind === "idle" ? t("console.desk.checking") : t("console.desk.check")}
          </button>
        </div>
      </form>
      <div aria-live="polite">
        {stage.kind === "refused" && <Refused error={stage.error} />}
        {stage.kind === "checked" && (
          <>
            <CheckResult check={stage.check} />
            {stage.error !== undefined && (
              <>
                <ErrorMessage error={stage.error} />
                <p className="hint">{t("console.desk.retryHint")}</p>
              </>
            )}
            <div className="actions">
              <button type="button" className="primary desk-big" onClick={redeem} disabled={busy}>
                {busy ? t("console.desk.redeeming") : t("console.desk.redeem")}
              </button>
            </div>
          </>
        )}
        {stage.kind === "redeemed" && (
          <>
            <Redeemed redemption={stage.redemption} timeZone={storeZone} />
            <div className="actions">
              {merchant && stage.redemption.redemption_id && !stage.redemption.reversed_at && (
                <ReverseButton id={stage.redemption.redemption_id} onReversed={(redemption) => setStage({ kind: "redeemed", redemption })} />
              )}
              <button type="button" className="primary" onClick={next}>
                {t("console.desk.next")}
              </button>
            </div>
          </>
        )}
      </div>
      {merchant && <ReverseById timeZone={storeZone} />}
    </section>
  );
}
