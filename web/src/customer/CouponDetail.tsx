// Placeholder: built in its own change.
export function CouponDetail({ claimId }: { claimId: string }) {
  void claimId;
  return <h1>CouponDetail</h1>;
}
