import { LANES } from '@conveyor/contracts';
import type { AmqpClient } from '@conveyor/platform';
import type { Topology } from '@conveyor/contracts';

/** One queue as the dashboard shows it. Fields the broker did not tell are null. */
type Named = Pick<QueueStats, 'name' | 'role' | 'service' | 'lane'>;

/** What a listed queue is for. */
export type QueueRole = 'work' | 'dead-letters' | 'timeline';

/** One queue's figures from the broker. */
export interface QueueStats {
  name: string;
  /** A service lane's work queue, the dead-letter queue, or the dashboard's timeline feed. */
  role: QueueRole;
  /** `mailer` / `processor`, or null for the dead-letter and timeline queues. */
  service: string | null;
  lane: string | null;
  messages: number;
  ready: number | null;
  unacked: number | null;
  consumers: number;
  /** Messages per second published into / delivered from the queue (management API only). */
  publishRate: number | null;
  deliverRate: number | null;
}

interface ManagementQueue {
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  message_stats?: {
    publish_details?: { rate?: number };
    deliver_get_details?: { rate?: number };
  };
}

/** The vhost of an AMQP URL (`/` when the path is empty). */
export function vhostOf(amqpUrl: string): string {
  const path = new URL(amqpUrl).pathname.replace(/^\//, '');
  return path === '' ? '/' : decodeURIComponent(path);
}

/**
 * Reads queue figures: from RabbitMQ's management API when `managementUrl` is set (ready,
 * unacked and rates), otherwise from AMQP `queue.declare passive` (messages, consumers).
 * A management API that does not answer falls back to AMQP for that call.
 */
export class BrokerQueues {
  private readonly mgmt: { base: string; auth: string } | null;
  /** Management API calls that failed (the AMQP figures were used instead). */
  managementFailures = 0;

  constructor(
    private readonly amqp: AmqpClient,
    private readonly topo: Topology,
    private readonly vhost: string,
    /** The worker groups whose work queues to list (from the catalogue). */
    private readonly groups: () => Promise<string[]>,
    managementUrl?: string,
  ) {
    if (managementUrl) {
      const u = new URL(managementUrl);
      const auth = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
      u.username = '';
      u.password = '';
      this.mgmt = { base: u.toString().replace(/\/$/, ''), auth };
    } else this.mgmt = null;
  }

  /** Every work queue (worker group × lane) and the dead-letter queue. */
  async list(): Promise<QueueStats[]> {
    const named: Named[] = [
      ...(await this.groups()).flatMap((service) =>
        LANES.map((lane) => ({
          name: this.topo.queues.work(service, lane),
          role: 'work' as const,
          service,
          lane,
        })),
      ),
      { name: this.topo.queues.dead, role: 'dead-letters', service: null, lane: null },
    ];
    return Promise.all(named.map((q) => this.one(q)));
  }

  private async one({ name, role, service, lane }: Named): Promise<QueueStats> {
    const m = await this.fromManagement(name);
    if (m) {
      return {
        name,
        role,
        service,
        lane,
        messages: m.messages ?? 0,
        ready: m.messages_ready ?? null,
        unacked: m.messages_unacknowledged ?? null,
        consumers: m.consumers ?? 0,
        publishRate: m.message_stats?.publish_details?.rate ?? 0,
        deliverRate: m.message_stats?.deliver_get_details?.rate ?? 0,
      };
    }
    const q = await this.amqp.withChannel((ch) => ch.checkQueue(name));
    return {
      name,
      role,
      service,
      lane,
      messages: q.messageCount,
      ready: q.messageCount,
      unacked: null,
      consumers: q.consumerCount,
      publishRate: null,
      deliverRate: null,
    };
  }

  private async fromManagement(name: string): Promise<ManagementQueue | null> {
    if (!this.mgmt) return null;
    const url = `${this.mgmt.base}/api/queues/${encodeURIComponent(this.vhost)}/${encodeURIComponent(name)}`;
    try {
      const res = await fetch(url, {
        headers: { authorization: this.mgmt.auth },
        signal: AbortSignal.timeout(2000),
      });
      if (res.ok) return (await res.json()) as ManagementQueue;
    } catch {
      // n.b. counted below; figures degrade to AMQP's and the page shows the missing ones as "—"
    }
    this.managementFailures++;
    return null;
  }
}
