// One key per intent: made when the customer acts, sent again while the answer is unknown (no connection, a
// 5xx, a busy service: the write may have committed), dropped after a definite answer (the result or a 4xx
// refusal), so tapping again after a lost answer returns what the first tap did, never a second one.
import { ApiError, newIdempotencyKey } from "../lib/api";

export class Intent {
  private current: string | null = null;

  constructor(private readonly make: () => string = newIdempotencyKey) {}

  /** The key of the intent under way, or a new one. */
  key(): string {
    this.current ??= this.make();
    return this.current;
  }

  /** After an answer: `undefined` for a success, else the error. Keeps the key only when the outcome is unknown. */
  settle(error?: unknown): void {
    const unknown = error !== undefined && (!(error instanceof ApiError) || error.status === 0 || error.status >= 500);
    if (!unknown) this.current = null;
  }
}
