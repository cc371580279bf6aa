/** How open-model requests arrive: evenly spaced, or as a Poisson process (k6 constant-arrival-rate, wrk2 -R). */
export type Arrival = 'constant' | 'poisson';
export const ARRIVALS: readonly Arrival[] = ['constant', 'poisson'];

/**
 * The intended start of each request, in ms from the run's start: `next()` gives the 0th, 1st, …
 * `constant`: i / rate. `poisson`: exponential gaps with mean 1 / rate (what many independent users
 * produce). Intended starts never depend on when earlier responses came back: that is what keeps a
 * stalled server from hiding its stall (coordinated omission).
 */
export function arrivalSchedule(rate: number, arrival: Arrival, random: () => number = Math.random): () => number {
  const gapMs = 1000 / rate;
  let i = 0;
  let at = 0;
  if (arrival === 'constant') return () => i++ * gapMs;
  return () => {
    const now = at;
    // 1 − U is in (0, 1]: the log is finite.
    at += -Math.log(1 - random()) * gapMs;
    return now;
  };
}
