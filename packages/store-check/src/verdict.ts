/** Pure verdicts over what the racers observed, so the rules are unit-tested apart from a server. */

/** Result of N rounds of racers that each try to move the same document once. */
export interface RaceVerdict {
  readonly ok: boolean;
  /** Racers that reported success, over all rounds. */
  readonly winners: number;
  /** Rounds won by exactly one racer is right; these rounds had another count. */
  readonly badRounds: number;
  /** The most winners seen in one round. */
  readonly maxInRound: number;
}

/** Each round must have exactly one winner: more means the update was not atomic, none means it was lost. */
export function raceVerdict(winnersPerRound: readonly number[]): RaceVerdict {
  const winners = winnersPerRound.reduce((sum, n) => sum + n, 0);
  const badRounds = winnersPerRound.filter((n) => n !== 1).length;
  const maxInRound = winnersPerRound.reduce((max, n) => Math.max(max, n), 0);
  return { ok: winnersPerRound.length > 0 && badRounds === 0, winners, badRounds, maxInRound };
}

/** One round of concurrent inserts of the same unique key. */
export interface InsertRound {
  readonly inserted: number;
  readonly duplicateKeyErrors: number;
  /** Errors other than a duplicate key: the round is wrong whatever the counts. */
  readonly otherErrors: number;
}

/** Result of the unique-index race. */
export interface UniqueVerdict {
  readonly ok: boolean;
  readonly inserted: number;
  readonly duplicateKeyErrors: number;
  readonly otherErrors: number;
  readonly badRounds: number;
}

/** Every round: exactly one insert lands, every other racer gets a duplicate-key error. */
export function uniqueVerdict(rounds: readonly InsertRound[], racers: number): UniqueVerdict {
  let inserted = 0;
  let duplicateKeyErrors = 0;
  let otherErrors = 0;
  let badRounds = 0;
  for (const round of rounds) {
    inserted += round.inserted;
    duplicateKeyErrors += round.duplicateKeyErrors;
    otherErrors += round.otherErrors;
    if (round.inserted !== 1 || round.duplicateKeyErrors !== racers - 1 || round.otherErrors > 0)
      badRounds += 1;
  }
  return {
    ok: rounds.length > 0 && badRounds === 0,
    inserted,
    duplicateKeyErrors,
    otherErrors,
    badRounds,
  };
}

/** Index keys as an ordered list of `field:direction`, for comparing specs regardless of how they were written. */
export function keySignature(key: Readonly<Record<string, unknown>>): string {
  return Object.entries(key)
    .map(([field, dir]) => `${field}:${String(dir)}`)
    .join(',');
}
