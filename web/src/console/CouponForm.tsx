// Create (/console/coupons/new) and edit (/console/coupons/:id/edit) a coupon: every kind, validity, code
// mode, audience and option; times typed in the coupon's zone, money as decimals of its currency. The
// client's checks come first; the API's 422 is shown at the field it names, other errors above the form.
import { useRef, useState, type FormEvent } from "react";
import type { Session } from "../lib/auth";
import { api, ApiError, newIdempotencyKey } from "../lib/api";
import { useLocale } from "../lib/i18n";
import { Link, navigate } from "../lib/router";
import { ErrorMessage, fieldError, Loading, useLoad } from "../lib/ui";
import { atFormField, createBody, emptyForm, formOf, patchBody, type Errors, type FormState } from "./couponForm";
import { FormSections } from "./CouponFormSections";
import { useErrorAtField, type Bind } from "./formParts";
import "./coupons.css";
import type { Coupon } from "./types";

export function CouponForm({ session, couponId }: { session: Session; couponId?: string }) {
  const { t } = useLocale();
  const loaded = useLoad((signal) => (couponId ? api<Coupon>("GET", `/coupons/${encodeURIComponent(couponId)}`, { signal }) : Promise.resolve(null)), [couponId]);
  return (
    <section className="coupon-form">
      <h1>{couponId ? t("console.form.editTitle") : t("console.form.newTitle")}</h1>
      {loaded.loading && !loaded.data && <Loading />}
      {Boolean(loaded.error) && <ErrorMessage error={loaded.error} onRetry={loaded.reload} />}
      {!loaded.loading && !loaded.error && loaded.data !== undefined && (
        <FormBody key={loaded.data?.version ?? "new"} coupon={loaded.data} reload={loaded.reload} platform={session.role === "platform"} />
      )}
    </section>
  );
}

function FormBody({ coupon, reload, platform }: { coupon: Coupon | null; reload: () => void; platform: boolean }) {
  const { t } = useLocale();
  const [state, setState] = useState<FormState>(() => (coupon ? formOf(coupon) : emptyForm(new Date())));
  const [checks, setChecks] = useState<Errors>({});
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const idempotencyKey = useRef(newIdempotencyKey());
  const form = useRef<HTMLFormElement>(null);
  const atField = useErrorAtField(error, form);
  const bind: Bind<FormState> = {
    state,
    set: (patch) => setState((s) => ({ ...s, ...patch })),
    error: (field) => checks[field] ?? fieldError(error, field),
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    const { body, errors } = coupon ? patchBody(state, coupon, t) : createBody(state, t);
    setChecks(errors);
    setError(undefined);
    if (Object.keys(errors).length) {
      requestAnimationFrame(() => document.querySelector<HTMLElement>(".coupon-form [aria-invalid='true']")?.focus());
      return;
    }
    setBusy(true);
    try {
      const saved = coupon
        ? await api<Coupon>("PATCH", `/coupons/${encodeURIComponent(coupon.coupon_id)}`, { body })
        : await api<Coupon>("POST", "/coupons", { body, idempotencyKey: idempotencyKey.current });
      navigate(`/console/coupons/${encodeURIComponent(saved.coupon_id)}`);
    } catch (caught) {
      // A refusal is final for this body: the next try is a new request. A lost answer keeps its key.
      if (caught instanceof ApiError && caught.status >= 400 && caught.status < 500) idempotencyKey.current = newIdempotencyKey();
      setError(atFormField(caught));
      requestAnimationFrame(() => document.querySelector<HTMLElement>(".coupon-form [aria-invalid='true'], .coupon-form .error")?.focus());
    } finally {
      setBusy(false);
    }
  }

  const conflict = error instanceof ApiError && error.status === 409 && error.code === "version_conflict";
  const above = atField ? undefined : error;
  return (
    <form ref={form} onSubmit={submit} noValidate aria-busy={busy}>
      {conflict ? (
        <div className="error" role="alert" tabIndex={-1}>
          <p>{t("console.form.conflict")}</p>
          <button type="button" onClick={reload}>
            {t("console.form.reloadLatest")}
          </button>
        </div>
      ) : (
        Boolean(above) && <ErrorMessage error={above} />
      )}
      {Object.keys(checks).length > 0 && (
        <p className="error" role="alert">
          {t("console.form.fixFields", { count: Object.keys(checks).length })}
        </p>
      )}
      <FormSections bind={bind} coupon={coupon} platform={platform} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? t("console.form.saving") : coupon ? t("common.save") : t("console.form.create")}
        </button>
        <Link href={coupon ? `/console/coupons/${encodeURIComponent(coupon.coupon_id)}` : "/console/"}>{t("common.cancel")}</Link>
      </div>
    </form>
  );
}
