// Median, min and max of a metric's samples: what every cell of the report shows.

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(values: number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length };
}

/** `×a/b` to two decimals, as every ratio in the report is written; `—` when either is missing. */
export function ratioText(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined ? '—' : `×${(a / b).toFixed(2)}`;
}

/** Fisher-Yates, in place: the order runtimes are measured in within a round. */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
