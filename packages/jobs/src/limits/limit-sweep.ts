import type { JobTypeLimits } from '@conveyor/contracts';
import type { JobTypeCatalogue } from '../catalogue/catalogue.js';
import type { LimitGate, LimitSettings } from './limit-gate.js';
import type { LimitStore } from './limit-store.js';

/** The concurrency a limit id (`type:…`, `owner:<type>:…`, `key:<type>:…`) stands for now. */
export function concurrencyOf(id: string, limits: JobTypeLimits | undefined): number | undefined {
  const scope = id.slice(0, id.indexOf(':'));
  if (scope === 'type') return limits?.concurrency;
  if (scope === 'owner') return limits?.perOwner?.concurrency;
  if (scope === 'key') return limits?.perKey?.concurrency;
  return undefined;
}

/** The job type of a limit id. */
export function typeOfLimit(id: string): string {
  return id.split(':')[1] ?? '';
}

/**
 * The safety net of held jobs (the scheduler runs it about twice a second): for every limit
 * with jobs waiting, lets as many go as it has free slots now — slots of workers that died
 * (their lease ran out), a limit an operator raised or lifted, a release that raced a hold.
 * Returns how many jobs it let go.
 */
export async function sweepLimits(
  store: LimitStore,
  settings: LimitSettings,
  catalogue: JobTypeCatalogue,
  gate: LimitGate,
): Promise<number> {
  const counts = await store.holdCounts();
  if (![...counts.keys()].some((k) => k.startsWith('limit:'))) return 0;
  const types = await catalogue.lookup();
  let woken = 0;
  for (const [key, waiting] of counts) {
    if (!key.startsWith('limit:')) continue;
    const id = key.slice('limit:'.length);
    const type = typeOfLimit(id);
    const limit = concurrencyOf(id, await settings.effective(type, types(type)?.entry.limits));
    const room = limit === undefined ? waiting : limit - (await store.running(id));
    if (room > 0) woken += await gate.wake(id, Math.min(room, waiting));
  }
  return woken;
}
