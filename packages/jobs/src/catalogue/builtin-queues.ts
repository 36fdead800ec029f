import { builtinJobTypes, type JobTypeDefinition, type Topology } from '@conveyor/contracts';
import { declareWorkQueues } from '@conveyor/platform';

type Channel = Parameters<typeof declareWorkQueues>[0];

/** Worker group -> the types of `defs` that name it as their queue. */
export function queuesOf(defs: readonly JobTypeDefinition[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const def of defs)
    if (def.queue !== undefined)
      groups.set(def.queue, [...(groups.get(def.queue) ?? []), def.name]);
  return groups;
}

/**
 * Declares the work queues of the built-in types (the mailer's and the processor's), bound
 * to exactly those types: the API and the scheduler do so on every connect, so a built-in
 * job submitted before its worker first started is routed and waits in its queue.
 */
export async function declareBuiltinQueues(ch: Channel, topo: Topology): Promise<void> {
  for (const [queue, types] of queuesOf(builtinJobTypes()))
    await declareWorkQueues(ch, topo, queue, types);
}
