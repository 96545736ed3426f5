// The only way pages reach the service: the public API, with the caller's token in a header.
import { currentSession } from "./auth";
import { config } from "./config";

/** The API's one error shape: `{"error": {"code", "message", "field", "details"}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly details?: Record<string, unknown>,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  headers?: Record<string, string>;
  idempotencyKey?: string;
  signal?: AbortSignal;
  anonymous?: boolean; // a public route: send no token
}

export function url(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return `${config().apiUrl}${path}${text ? `?${text}` : ""}`;
}

async function send(method: string, path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  const session = options.anonymous ? null : currentSession();
  if (session) headers.Authorization = `Bearer ${session.token}`;
  if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(url(path, options.query), { method, headers, body, signal: options.signal });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "network", "network");
  }
  if (!response.ok) throw await toError(response);
  return response;
}

async function toError(response: Response): Promise<ApiError> {
  const retryAfter = Number(response.headers.get("Retry-After")) || undefined;
  try {
    const { error } = await response.json();
    return new ApiError(response.status, error.code, error.message, error.field, error.details, retryAfter);
  } catch {
    return new ApiError(response.status, "http_" + response.status, response.statusText, undefined, undefined, retryAfter);
  }
}

export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(method, path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A binary answer (a QR PNG, a ZIP of them) as a Blob: shown with an object URL, never a URL with a token. */
export async function apiBlob(path: string, options: RequestOptions = {}): Promise<Blob> {
  const response = await send("GET", path, { ...options, headers: { ...options.headers, Accept: "*/*" } });
  return response.blob();
}

/** A key for a request that may be sent again after a lost answer: one per user action. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
