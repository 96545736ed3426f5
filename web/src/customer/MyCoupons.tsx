// Placeholder: built in its own change.
export function MyCoupons({ status }: { status: string }) {
  void status;
  return <h1>MyCoupons</h1>;
}
