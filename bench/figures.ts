// How the benchmarks print their figures: numbers grouped and rounded, means of rounds.

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export const mean = <T>(xs: T[], pick: (x: T) => number) => xs.reduce((sum, x) => sum + pick(x), 0) / xs.length;
