import type { Session } from "../lib/auth";

// Placeholder: built in its own change.
export function Stores({ session }: { session: Session }) {
  void session;
  return <h1>Stores</h1>;
}
