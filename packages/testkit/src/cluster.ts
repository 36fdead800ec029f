import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './process.js';

const run = promisify(execFile);

/** One node of the local cluster. */
export interface ClusterNode {
  /** 1, 2 or 3. */
  readonly n: number;
  /** Erlang node name, e.g. `conveyor-c1@localhost`. */
  readonly name: string;
  /** `amqp://guest:guest@127.0.0.1:<port>`. */
  readonly url: string;
  /** `host:port` of its AMQP listener, as `AmqpClient.endpoint` and the services' logs name it. */
  readonly endpoint: string;
  /** Its management API, `http://guest:guest@127.0.0.1:<port>`. */
  readonly managementUrl: string;
}

/** The three-node RabbitMQ cluster of `scripts/cluster.sh`, as a test drives it. */
export interface LocalCluster {
  readonly nodes: readonly ClusterNode[];
  /** Every node's URL, comma-separated, starting at node `first` (default 1). */
  url(first?: number): string;
  /** The node listening at `endpoint` (`host:port`). */
  nodeAt(endpoint: string): ClusterNode | undefined;
  /** A clean shutdown of node `n` (`rabbitmqctl stop`); resolves once its VM has exited. */
  stopNode(n: number): Promise<void>;
  /** A crash of node `n` (SIGKILL to its VM). */
  killNode(n: number): Promise<void>;
  /** Starts node `n` again; resolves once it is back in the cluster and serving AMQP. */
  startNode(n: number): Promise<void>;
  /** Leader node of each quorum queue whose name starts with `prefix`, from the management API. */
  quorumLeaders(prefix: string): Promise<Map<string, string>>;
  /** Stops the cluster and deletes its data, if {@link startLocalCluster} started it. */
  close(): Promise<void>;
}

async function cluster(args: string[]): Promise<string> {
  const script = join(repoRoot(), 'scripts', 'cluster.sh');
  try {
    const { stdout } = await run('bash', [script, ...args], {
      cwd: repoRoot(),
      maxBuffer: 16 * 1024 * 1024,
      timeout: 300_000,
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `scripts/cluster.sh ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
    );
  }
}

/**
 * Brings up the local three-node RabbitMQ cluster with `scripts/cluster.sh up` (its ports from
 * `CONVEYOR_CLUSTER_*`, see the script), or uses it as it is when all three nodes already run
 * — then `close()` leaves it running.
 */
export async function startLocalCluster(): Promise<LocalCluster> {
  const wasUp = await cluster(['status']).then(
    () => true,
    () => false,
  );
  if (!wasUp) await cluster(['up']);
  const env = new Map(
    (await cluster(['env']))
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );
  const urls = (env.get('RABBITMQ_URL') ?? '').split(',');
  const names = (env.get('RABBITMQ_CLUSTER_NODES') ?? '').split(',');
  const mgmt = (env.get('RABBITMQ_CLUSTER_MANAGEMENT_URLS') ?? '').split(',');
  if (urls.length !== 3 || names.length !== 3 || mgmt.length !== 3)
    throw new Error(`scripts/cluster.sh env gave no three nodes:\n${[...env].join('\n')}`);
  const nodes = urls.map((url, i): ClusterNode => {
    const u = new URL(url);
    return {
      n: i + 1,
      name: names[i]!,
      url,
      endpoint: `${u.hostname}:${u.port}`,
      managementUrl: mgmt[i]!,
    };
  });
  let closing: Promise<void> | null = null;
  return {
    nodes,
    url: (first = 1) =>
      [...nodes.slice(first - 1), ...nodes.slice(0, first - 1)].map((n) => n.url).join(','),
    nodeAt: (endpoint) => nodes.find((n) => n.endpoint === endpoint),
    stopNode: async (n) => void (await cluster(['stop-node', String(n)])),
    killNode: async (n) => void (await cluster(['kill-node', String(n)])),
    startNode: async (n) => void (await cluster(['start-node', String(n)])),
    quorumLeaders: async (prefix) => {
      let last: unknown;
      // n.b. any live node answers for the whole cluster
      for (const node of nodes) {
        try {
          const u = new URL(node.managementUrl);
          const res = await fetch(`${u.origin}/api/queues?columns=name,type,leader`, {
            headers: {
              authorization: `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`,
            },
            signal: AbortSignal.timeout(5000),
          });
          if (!res.ok) throw new Error(`${node.name}: HTTP ${res.status}`);
          const queues = (await res.json()) as { name: string; type?: string; leader?: string }[];
          return new Map(
            queues
              .filter((q) => q.type === 'quorum' && q.name.startsWith(prefix) && q.leader)
              .map((q) => [q.name, q.leader!]),
          );
        } catch (err) {
          last = err;
        }
      }
      throw new Error(`no node's management API answered: ${String(last)}`);
    },
    close: () => {
      closing ??= wasUp ? Promise.resolve() : cluster(['down']).then(() => undefined);
      return closing;
    },
  };
}
