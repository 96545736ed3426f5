// Placeholder: built in its own change.
export function Center() {
  
  return <h1>Center</h1>;
}
