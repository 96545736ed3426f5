// The caller's session: an ID token kept in sessionStorage (never in a URL, never logged) and what it says.
import { config } from "./config";

export type Role = "customer" | "merchant" | "staff" | "platform";

export interface Session {
  token: string;
  role: Role;
  user: string;
  merchantId?: string;
  storeId?: string;
  name?: string;
  expiresAt: number; // seconds since the epoch
}

const KEY = "coupons.session";
const GROUP_ROLES: Record<string, Role> = {
  customers: "customer",
  merchants: "merchant",
  staff: "staff",
  platform: "platform",
};

export function decodeToken(token: string): Session {
  const part = token.split(".")[1];
  if (!part) throw new Error("not a token");
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
  const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
  const groups: string[] = Array.isArray(claims["cognito:groups"]) ? claims["cognito:groups"] : [];
  const role = groups.map((g) => GROUP_ROLES[g]).find(Boolean);
  if (!role) throw new Error("the token names no role");
  return {
    token,
    role,
    user: String(claims.sub),
    merchantId: claims["custom:merchant_id"],
    storeId: claims["custom:store_id"],
    name: claims.nickname,
    expiresAt: Number(claims.exp),
  };
}

export function currentSession(): Session | null {
  const token = sessionStorage.getItem(KEY);
  if (!token) return null;
  try {
    const session = decodeToken(token);
    if (session.expiresAt * 1000 <= Date.now()) {
      sessionStorage.removeItem(KEY);
      return null;
    }
    return session;
  } catch {
    sessionStorage.removeItem(KEY);
    return null;
  }
}

export function keepSession(token: string): Session {
  const session = decodeToken(token);
  sessionStorage.setItem(KEY, token);
  return session;
}

/** Forget the token; with Cognito, also end its session (else "sign in" on a shared till would silently
 * sign the last person back in through Cognito's cookie). */
export function signOut(): void {
  sessionStorage.removeItem(KEY);
  const cognito = config().cognito;
  if (cognito) {
    const query = new URLSearchParams({ client_id: cognito.clientId, logout_uri: `${location.origin}/c/` });
    location.assign(`${cognito.domain}/logout?${query}`);
  }
}

export interface LocalSignIn {
  role: Role;
  user: string;
  merchant?: string;
  store?: string;
  name?: string;
}

/** The local stack's sign-in: it mints a token for any role and id (refused by any deployed stack). */
export async function signInLocally(who: LocalSignIn): Promise<Session> {
  const response = await fetch("/_local/tokens", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(who),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body?.error?.message ?? `sign-in: ${response.status}`);
  return keepSession(body.token);
}

// Cognito's hosted sign-in with the authorization code and PKCE: the token comes back from the token
// endpoint in a response body, never in the page's URL.
const VERIFIER = "coupons.pkce";
const RETURN = "coupons.return";

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function signInWithCognito(returnTo: string): Promise<void> {
  const cognito = config().cognito;
  if (!cognito) throw new Error("no sign-in is configured");
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  sessionStorage.setItem(VERIFIER, verifier);
  sessionStorage.setItem(RETURN, returnTo);
  const query = new URLSearchParams({
    response_type: "code",
    client_id: cognito.clientId,
    redirect_uri: `${location.origin}/signed-in`,
    scope: "openid profile phone",
    code_challenge_method: "S256",
    code_challenge: challenge,
  });
  location.assign(`${cognito.domain}/oauth2/authorize?${query}`);
}

/** On /signed-in: trade the code for tokens, then go back where the caller was (the code leaves the URL). */
export async function finishCognitoSignIn(): Promise<string> {
  const cognito = config().cognito;
  const code = new URLSearchParams(location.search).get("code");
  const verifier = sessionStorage.getItem(VERIFIER);
  if (!cognito || !code || !verifier) throw new Error("sign-in was not started here");
  history.replaceState(null, "", "/signed-in");
  const response = await fetch(`${cognito.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: cognito.clientId,
      code,
      redirect_uri: `${location.origin}/signed-in`,
      code_verifier: verifier,
    }),
  });
  sessionStorage.removeItem(VERIFIER);
  if (!response.ok) throw new Error(`sign-in: ${response.status}`);
  keepSession((await response.json()).id_token);
  const back = sessionStorage.getItem(RETURN) ?? "/c/";
  sessionStorage.removeItem(RETURN);
  return back.startsWith("/") && !back.startsWith("//") ? back : "/c/";
}
