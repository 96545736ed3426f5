// What the host tells the app at start: where the API is and how callers sign in. The local stack serves it
// from its own configuration; a deployment writes it into the bucket beside the built assets.
export interface CognitoConfig {
  domain: string; // https://<prefix>.auth.<region>.amazoncognito.com
  clientId: string;
}

export interface AppConfig {
  apiUrl: string; // "/v1" when the host routes the API beside the pages, or an absolute URL
  localSignIn: boolean; // the local stack's sign-in: any role and id
  cognito?: CognitoConfig;
}

let loaded: AppConfig | undefined;

export async function loadConfig(): Promise<AppConfig> {
  if (!loaded) {
    const response = await fetch("/config.json", { cache: "no-store" });
    if (!response.ok) throw new Error(`config.json: ${response.status}`);
    loaded = (await response.json()) as AppConfig;
  }
  return loaded;
}

export function config(): AppConfig {
  if (!loaded) throw new Error("config not loaded");
  return loaded;
}
