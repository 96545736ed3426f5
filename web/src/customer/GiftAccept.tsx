// Placeholder: built in its own change.
export function GiftAccept({ token }: { token: string }) {
  void token;
  return <h1>GiftAccept</h1>;
}
