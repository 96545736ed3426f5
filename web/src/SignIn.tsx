// Sign-in for both areas: the local stack's (any role and id) or Cognito's hosted page.
import { useState, type FormEvent } from "react";
import { signInLocally, signInWithCognito, type Role } from "./lib/auth";
import { config } from "./lib/config";
import { useLocale } from "./lib/i18n";
import { navigate } from "./lib/router";
import { ErrorMessage, Field } from "./lib/ui";

/** Where to go after signing in: a path of this app only (never another site a crafted link names). */
export function safeNext(next: string | null, fallback: string): string {
  return next && /^\/(console|c)(\/|$)/.test(next) && !next.startsWith("//") ? next : fallback;
}

export function SignIn({ roles, next }: { roles: Role[]; next: string }) {
  const { t } = useLocale();
  const [role, setRole] = useState<Role>(roles[0]);
  const [user, setUser] = useState("");
  const [merchant, setMerchant] = useState("");
  const [store, setStore] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const needsMerchant = role === "merchant" || role === "staff";

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signInLocally({
        role,
        user: user.trim(),
        merchant: needsMerchant ? merchant.trim() : undefined,
        store: role === "staff" && store.trim() ? store.trim() : undefined,
        name: name.trim() || undefined,
      });
      navigate(next, true);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="narrow">
      <h1>{t("signIn.title")}</h1>
      {config().cognito && (
        <p>
          <button type="button" onClick={() => signInWithCognito(next)}>
            {t("signIn.cognito")}
          </button>
        </p>
      )}
      {config().localSignIn && (
        <form onSubmit={submit} aria-describedby="local-note">
          <p id="local-note" className="hint">
            {t("signIn.local")}
          </p>
          {error !== undefined && <ErrorMessage error={error} />}
          {roles.length > 1 && (
            <Field label={t("signIn.role")}>
              {(props) => (
                <select {...props} value={role} onChange={(e) => setRole(e.target.value as Role)}>
                  {roles.map((r) => (
                    <option key={r} value={r}>
                      {t(`role.${r}`)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          <Field label={t("signIn.user")}>
            {(props) => <input {...props} name="user" required autoComplete="username" value={user} onChange={(e) => setUser(e.target.value)} />}
          </Field>
          {needsMerchant && (
            <Field label={t("signIn.merchant")}>
              {(props) => <input {...props} name="merchant" required value={merchant} onChange={(e) => setMerchant(e.target.value)} />}
            </Field>
          )}
          {role === "staff" && (
            <Field label={t("signIn.store")}>
              {(props) => <input {...props} name="store" value={store} onChange={(e) => setStore(e.target.value)} />}
            </Field>
          )}
          <Field label={t("signIn.name")}>
            {(props) => <input {...props} name="name" autoComplete="nickname" value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <button type="submit" disabled={busy}>
            {t("signIn.submit")}
          </button>
        </form>
      )}
    </section>
  );
}
