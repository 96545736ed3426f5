// The arithmetic of the data tab's charts: the days a range covers, and an axis that reads well.

/** A YYYY-MM-DD day moved by `n` days (calendar days: no time zone involved). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** Every day from `first` to `last`, both included. */
export function daysBetween(first: string, last: string): string[] {
  const days: string[] = [];
  for (let day = first; day <= last && days.length < 400; day = addDays(day, 1)) days.push(day);
  return days;
}

/** One value per day of the range, 0 for a day the answer has no row for. */
export function perDay<T extends { day?: string | null }>(rows: T[], first: string, last: string, value: (row: T) => number): number[] {
  const byDay = new Map<string, number>();
  for (const row of rows) if (row.day) byDay.set(row.day, (byDay.get(row.day) ?? 0) + value(row));
  return daysBetween(first, last).map((day) => byDay.get(day) ?? 0);
}

/** An axis from 0 to a round top at or above `max` (1, 2 or 5 times a power of ten a step), and its ticks. */
export function axis(max: number, steps = 4): { top: number; ticks: number[] } {
  if (!(max > 0)) return { top: 1, ticks: [0, 1] };
  const rough = max / steps;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= rough) ?? 10 * power;
  const size = max < steps ? 1 : step; // counts: whole steps

  const top = Math.ceil(max / size) * size;
  const ticks: number[] = [];
  for (let tick = 0; tick <= top; tick += size) ticks.push(tick);
  return { top, ticks };
}

/** Where a value sits on an axis `length` pixels long (0 at the axis' start). */
export function scale(value: number, top: number, length: number): number {
  return top > 0 ? (Math.max(0, Math.min(value, top)) / top) * length : 0;
}
