import { z } from 'zod';

/** Raised at start when the environment is wrong; names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`,
    );
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    `must be a URL with scheme ${protocols.join(' or ')}`,
  );

/**
 * One or more broker URLs separated by commas (the nodes of one RabbitMQ cluster), each
 * `amqp:` or `amqps:`. Stays the string it was given; {@link brokerUrls} splits it.
 */
const amqpUrls = z.string().superRefine((v, ctx) => {
  const parts = v.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) {
    ctx.addIssue({
      code: 'custom',
      message: 'has an empty entry; separate broker URLs with single commas',
    });
    return;
  }
  for (const [i, part] of parts.entries()) {
    let ok = false;
    try {
      ok = ['amqp:', 'amqps:'].includes(new URL(part).protocol);
    } catch {
      ok = false;
    }
    if (!ok)
      ctx.addIssue({
        code: 'custom',
        message: `entry ${i + 1} must be a URL with scheme amqp or amqps`,
      });
  }
});

/** Splits a `RABBITMQ_URL` value into its broker URLs (one per cluster node), in order. */
export function brokerUrls(value: string): string[] {
  return value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().min(1);

/** Helpers for service config schemas; each reads one environment variable (a string). */
export const env = Object.freeze({
  url,
  amqpUrls,
  port,
  positiveInt,
  nonNegativeInt: z.coerce.number().int().min(0),
  bool: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
});

/** An OTLP protocol variable: unset or empty, or one of the encodings traces are exported in. */
const otlpProtocol = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z
    .enum(['http/protobuf', 'http/json'], {
      error: 'must be http/protobuf (the default) or http/json',
    })
    .optional(),
);

/**
 * What every Conveyor service reads:
 * - `NODE_ENV` (`development`): `production` turns on production checks.
 * - `LOG_LEVEL` (`info`).
 * - `RABBITMQ_URL` (required): one broker URL, or the URLs of a cluster's nodes separated by
 *   commas; the client connects to the first that answers and moves on to the next when its
 *   node goes away (see `brokerUrls`).
 * - `MONGO_URL` (required): a MongoDB connection string (a replica set's: several hosts and
 *   `replicaSet=`).
 * - `STORE_TIMEOUT_MS` (`5000`): the deadline of each wait on the store — choosing a server,
 *   getting a pooled connection, opening one, and each answer. A store that does not answer
 *   in time fails the call (the API answers 503 with `Retry-After`, workers requeue the
 *   delivery) instead of waiting as long as the store hangs.
 * - `CONVEYOR_PREFIX` (`conveyor`): prefix of every exchange and queue name.
 * - `METRICS_PORT` (service default): port of `/metrics`, `/healthz`, `/readyz`; 0 picks a free one.
 * - `METRICS_HOST` (`0.0.0.0`).
 * - `SHUTDOWN_GRACE_MS` (`30000`): how long SIGTERM waits for in-flight work.
 * - `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` (`http/protobuf`):
 *   the encoding of trace exports, `http/protobuf` or `http/json` (see `otlpTracesProtocol`).
 */
export const baseConfigShape = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: env.logLevel.default('info'),
  RABBITMQ_URL: amqpUrls,
  MONGO_URL: url(['mongodb', 'mongodb+srv']),
  CONVEYOR_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]{0,100}$/i, 'letters, digits, _ . - only')
    .default('conveyor'),
  METRICS_HOST: z.string().default('0.0.0.0'),
  SHUTDOWN_GRACE_MS: env.nonNegativeInt.default(30_000),
  STORE_TIMEOUT_MS: z.coerce.number().int().min(100, 'must be at least 100 (ms)').default(5000),
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol,
};

/**
 * Parses `source` (default `process.env`) against a zod object of variables and returns a
 * frozen, typed config. Throws {@link ConfigError} naming each bad or missing variable.
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  source: Env = process.env,
): Readonly<z.infer<z.ZodObject<S>>> {
  const result = z.object(shape).safeParse(source);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => ({
        variable: String(i.path[0] ?? '?'),
        message:
          i.code === 'invalid_type' && i.input === undefined
            ? 'is required but not set'
            : i.message,
      })),
    );
  }
  return Object.freeze(result.data) as Readonly<z.infer<z.ZodObject<S>>>;
}
