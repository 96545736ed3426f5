// Placeholder: built in its own change.
export function Offer({ couponId, channel }: { couponId: string; channel: string | null }) {
  void couponId;
  void channel;
  return <h1>Offer</h1>;
}
