// Reversing a redemption (merchant): the one just made at the desk, or one named by its id (printed on the
// till's receipt, shown in the data tab's records) when an order is cancelled or refunded later.
import { useState, type FormEvent } from "react";
import { api } from "../lib/api";
import { addMessages, useLocale } from "../lib/i18n";
import { ConfirmDialog, ErrorMessage, Field } from "../lib/ui";
import { Redeemed, type Redemption } from "./DeskResult";

addMessages({
  en: {
    "console.reversal.title": "Reverse a redemption",
    "console.reversal.id": "Redemption id",
    "console.reversal.idHint": "The 32-character id on the receipt or in the coupon's records.",
    "console.reversal.badId": "A redemption id is 32 characters, 0-9 and a-f.",
    "console.reversal.reverse": "Reverse this redemption",
    "console.reversal.confirmTitle": "Reverse this redemption?",
    "console.reversal.confirmBody": "Do this when the order is cancelled or refunded: the customer's coupon becomes usable again if its window is open.",
  },
  "zh-CN": {
    "console.reversal.title": "撤销核销",
    "console.reversal.id": "核销编号",
    "console.reversal.idHint": "小票或券的记录中的 32 位编号。",
    "console.reversal.badId": "核销编号为 32 位，由 0-9 和 a-f 组成。",
    "console.reversal.reverse": "撤销此次核销",
    "console.reversal.confirmTitle": "确定撤销此次核销？",
    "console.reversal.confirmBody": "订单取消或退款时使用：若券仍在有效期内，顾客可再次使用。",
  },
});

const ID = /^[0-9a-f]{32}$/;

/** A confirmed reversal: `ask(id)` opens the confirmation; confirmed, the redemption is reversed. */
function useReversal(onReversed: (r: Redemption) => void) {
  const { t } = useLocale();
  const [pending, setPending] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const reverse = async () => {
    const id = pending;
    setPending(undefined);
    if (!id) return;
    setBusy(true);
    setError(undefined);
    try {
      onReversed(await api<Redemption>("POST", `/redemptions/${id}/reversal`));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const dialog = (
    <ConfirmDialog
      open={pending !== undefined}
      title={t("console.reversal.confirmTitle")}
      body={<p>{t("console.reversal.confirmBody")}</p>}
      confirmLabel={t("console.reversal.reverse")}
      onConfirm={reverse}
      onCancel={() => setPending(undefined)}
    />
  );
  return { ask: setPending, busy, error, dialog };
}

/** The reverse button of a redemption just shown, and its confirmation. */
export function ReverseButton({ id, onReversed }: { id: string; onReversed: (r: Redemption) => void }) {
  const { t } = useLocale();
  const reversal = useReversal(onReversed);
  return (
    <>
      {reversal.error !== undefined && <ErrorMessage error={reversal.error} />}
      <button type="button" className="danger" onClick={() => reversal.ask(id)} disabled={reversal.busy}>
        {t("console.reversal.reverse")}
      </button>
      {reversal.dialog}
    </>
  );
}

/** A redemption reversed by its id, typed or pasted. */
export function ReverseById({ timeZone }: { timeZone: string }) {
  const { t } = useLocale();
  const [id, setId] = useState("");
  const [wrong, setWrong] = useState(false);
  const [done, setDone] = useState<Redemption>();
  const reversal = useReversal((r) => {
    setDone(r);
    setId("");
  });
  const ask = (event: FormEvent) => {
    event.preventDefault();
    const value = id.trim().toLowerCase();
    setWrong(!ID.test(value));
    setDone(undefined);
    if (ID.test(value)) reversal.ask(value);
  };
  return (
    <section className="card" aria-labelledby="reverse-by-id">
      <h2 id="reverse-by-id">{t("console.reversal.title")}</h2>
      <form onSubmit={ask} autoComplete="off">
        <Field label={t("console.reversal.id")} hint={t("console.reversal.idHint")} error={wrong ? t("console.reversal.badId") : undefined}>
          {(props) => <input {...props} value={id} spellCheck={false} onChange={(e) => setId(e.target.value)} />}
        </Field>
        <button type="submit" className="danger" disabled={reversal.busy}>
          {t("console.reversal.reverse")}
        </button>
      </form>
      {reversal.error !== undefined && <ErrorMessage error={reversal.error} />}
      {done && <Redeemed redemption={done} timeZone={timeZone} />}
      {reversal.dialog}
    </section>
  );
}
