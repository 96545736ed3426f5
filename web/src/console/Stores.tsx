// The merchant's stores (/console/stores): list, add, edit (name, zone, address; the id never changes), remove
// after a confirmation. Coupons and staff accounts name stores by their id.
import { useState, type FormEvent } from "react";
import { api, ApiError } from "../lib/api";
import type { Session } from "../lib/auth";
import { addMessages, useLocale } from "../lib/i18n";
import { ConfirmDialog, ErrorMessage, fieldError, useLoad } from "../lib/ui";
import { validZone } from "./couponForm";
import "./coupons.css";
import { readPages } from "./display";
import { type Bind, DataTable, ListStatus, TextInput } from "./formParts";
import type { Page, Store } from "./types";

addMessages({
  en: {
    "console.stores.title": "Stores",
    "console.stores.add": "Add a store",
    "console.stores.edit": "Edit {name}",
    "console.stores.editButton": "Edit {name}",
    "console.stores.deleteButton": "Remove {name}",
    "console.stores.deleteTitle": "Remove the store “{name}”?",
    "console.stores.deleteBody": "Coupons that list this store keep its id; staff of this store can no longer redeem coupons limited to it.",
    "console.stores.none": "No stores yet.",
    "console.stores.id": "Store code",
    "console.stores.idHint": "Your own code for the store, e.g. sh-001; it cannot change",
    "console.stores.name": "Name",
    "console.stores.zone": "Time zone",
    "console.stores.address": "Address",
    "console.stores.line1": "Street address",
    "console.stores.city": "City",
    "console.stores.country": "Country (two letters, e.g. CN)",
    "console.stores.addressHint": "Optional: leave street, city and country empty for none",
    "console.stores.create": "Add store",
    "console.stores.saved": "Store “{name}” saved.",
    "console.stores.removed": "Store “{name}” removed.",
    "console.stores.required": "Required.",
    "console.stores.zoneBad": "An IANA time zone, e.g. Asia/Shanghai.",
  },
  "zh-CN": {
    "console.stores.title": "门店",
    "console.stores.add": "添加门店",
    "console.stores.edit": "编辑 {name}",
    "console.stores.editButton": "编辑 {name}",
    "console.stores.deleteButton": "删除 {name}",
    "console.stores.deleteTitle": "删除门店“{name}”？",
    "console.stores.deleteBody": "列出此门店的优惠券仍保留其编号；该门店的店员将无法再核销限定此门店的优惠券。",
    "console.stores.none": "还没有门店。",
    "console.stores.id": "门店编码",
    "console.stores.idHint": "门店的自有编码，例如 sh-001；创建后不可修改",
    "console.stores.name": "名称",
    "console.stores.zone": "时区",
    "console.stores.address": "地址",
    "console.stores.line1": "街道地址",
    "console.stores.city": "城市",
    "console.stores.country": "国家（两位字母，例如 CN）",
    "console.stores.addressHint": "选填：街道、城市和国家都留空即不填地址",
    "console.stores.create": "添加门店",
    "console.stores.saved": "门店“{name}”已保存。",
    "console.stores.removed": "门店“{name}”已删除。",
    "console.stores.required": "必填。",
    "console.stores.zoneBad": "请填写 IANA 时区，例如 Asia/Shanghai。",
  },
});

interface StoreForm {
  store_id: string;
  name: string;
  time_zone: string;
  line1: string;
  city: string;
  country: string;
}

const EMPTY: StoreForm = { store_id: "", name: "", time_zone: "Asia/Shanghai", line1: "", city: "", country: "CN" };

export function Stores({ session }: { session: Session }) {
  const { t } = useLocale();
  void session;
  const [pages, setPages] = useState(1);
  const list = useLoad((signal) => readPages(pages, (token) => api<Page<Store>>("GET", "/stores", { query: { limit: 50, next_token: token }, signal })), [pages]);
  const [editing, setEditing] = useState<Store | null>(null);
  const [removing, setRemoving] = useState<Store | null>(null);
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<unknown>();
  const done = (text: string) => {
    setNotice(text);
    setEditing(null);
    list.reload();
  };
  const remove = async () => {
    const store = removing;
    setRemoving(null);
    if (!store) return;
    setError(undefined);
    try {
      await api("DELETE", `/stores/${encodeURIComponent(store.store_id)}`);
      done(t("console.stores.removed", { name: store.name }));
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <section>
      <h1>{t("console.stores.title")}</h1>
      <p role="status" className={notice ? "notice" : undefined}>
        {notice}
      </p>
      {Boolean(error) && <ErrorMessage error={error} />}
      <ListStatus load={list} empty={t("console.stores.none")} />
      {Boolean(list.data?.items.length) && (
        <DataTable headers={[t("console.stores.id"), t("console.stores.name"), t("console.stores.zone"), t("console.stores.address")]} actions={t("common.more")}>
          {list.data?.items.map((store) => (
            <tr key={store.store_id}>
              <td>{store.store_id}</td>
              <td>{store.name}</td>
              <td>{store.time_zone}</td>
              <td>{store.address ? `${store.address.line1}, ${store.address.city}, ${store.address.country}` : "—"}</td>
              <td className="actions">
                <button type="button" onClick={() => setEditing(store)}>
                  {t("console.stores.editButton", { name: store.name })}
                </button>
                <button type="button" className="danger" onClick={() => setRemoving(store)}>
                  {t("console.stores.deleteButton", { name: store.name })}
                </button>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {list.data?.next && (
        <button type="button" onClick={() => setPages((p) => p + 1)}>
          {t("common.more")}
        </button>
      )}
      <StoreEditor key={editing?.store_id ?? "new"} store={editing} onSaved={(s) => done(t("console.stores.saved", { name: s.name }))} onCancel={() => setEditing(null)} />
      <ConfirmDialog
        open={removing !== null}
        title={t("console.stores.deleteTitle", { name: removing?.name ?? "" })}
        body={<p>{t("console.stores.deleteBody")}</p>}
        confirmLabel={t("common.delete")}
        onConfirm={remove}
        onCancel={() => setRemoving(null)}
      />
    </section>
  );
}

function StoreEditor({ store, onSaved, onCancel }: { store: Store | null; onSaved(store: Store): void; onCancel(): void }) {
  const { t } = useLocale();
  const [state, setState] = useState<StoreForm>(() =>
    store ? { store_id: store.store_id, name: store.name, time_zone: store.time_zone, line1: store.address?.line1 ?? "", city: store.address?.city ?? "", country: store.address?.country ?? "" } : EMPTY,
  );
  const [checks, setChecks] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const bind: Bind<StoreForm> = {
    state,
    set: (patch) => setState((s) => ({ ...s, ...patch })),
    error: (field) => checks[field] ?? fieldError(error, field) ?? fieldError(error, `body.${field}`),
  };
  const fields = ["store_id", "name", "time_zone", "address.line1", "address.city", "address.country"];
  async function submit(event: FormEvent) {
    event.preventDefault();
    const found: Record<string, string> = {};
    for (const key of ["store_id", "name", "time_zone"] as const) if (!state[key].trim()) found[key] = t("console.stores.required");
    if (state.time_zone.trim() && !validZone(state.time_zone.trim())) found.time_zone = t("console.stores.zoneBad");
    setChecks(found);
    setError(undefined);
    if (Object.keys(found).length) return;
    const hasAddress = Boolean(state.line1.trim() || state.city.trim());
    const address = hasAddress ? { line1: state.line1.trim(), city: state.city.trim(), country: state.country.trim() } : undefined;
    const body = { name: state.name.trim(), time_zone: state.time_zone.trim(), ...(address ? { address } : {}) };
    setBusy(true);
    try {
      const saved = store
        ? await api<Store>("PATCH", `/stores/${encodeURIComponent(store.store_id)}`, { body })
        : await api<Store>("POST", "/stores", { body: { store_id: state.store_id.trim(), ...body } });
      if (!store) setState(EMPTY);
      onSaved(saved);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }
  const shownAtField = error instanceof ApiError && fields.some((f) => bind.error(f));
  return (
    <form className="card narrow-form" onSubmit={submit} noValidate aria-labelledby="store-editor">
      <h2 id="store-editor">
        {store ? t("console.stores.edit", { name: store.name }) : t("console.stores.add")}
      </h2>
      {Boolean(error) && !shownAtField && <ErrorMessage error={error} />}
      <TextInput bind={bind} name="store_id" field="store_id" label={t("console.stores.id")} hint={t("console.stores.idHint")} disabled={Boolean(store)} />
      <TextInput bind={bind} name="name" field="name" label={t("console.stores.name")} />
      <TextInput bind={bind} name="time_zone" field="time_zone" label={t("console.stores.zone")} />
      <fieldset className="address">
        <legend>{t("console.stores.address")}</legend>
        <p className="hint">{t("console.stores.addressHint")}</p>
        <TextInput bind={bind} name="line1" field="address.line1" label={t("console.stores.line1")} />
        <div className="row">
          <TextInput bind={bind} name="city" field="address.city" label={t("console.stores.city")} />
          <TextInput bind={bind} name="country" field="address.country" label={t("console.stores.country")} />
        </div>
      </fieldset>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {store ? t("common.save") : t("console.stores.create")}
        </button>
        {store && (
          <button type="button" onClick={onCancel}>
            {t("common.cancel")}
          </button>
        )}
      </div>
    </form>
  );
}
