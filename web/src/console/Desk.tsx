import type { Session } from "../lib/auth";

// Placeholder: built in its own change.
export function Desk({ session }: { session: Session }) {
  void session;
  return <h1>Desk</h1>;
}
