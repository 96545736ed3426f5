import type { Session } from "../lib/auth";

// Placeholder: built in its own change.
export function Rules({ session }: { session: Session }) {
  void session;
  return <h1>Rules</h1>;
}
