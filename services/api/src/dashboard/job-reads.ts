import type { Connection, mongo } from 'mongoose';
import { COLLECTIONS, type JobDoc } from '@conveyor/jobs/store';

/**
 * The jobs collection for the dashboard's read-only queries (search, overview, fires): plain
 * driver reads in the API's own module; every write stays with `@conveyor/jobs`' transitions.
 */
export function jobsCollection(conn: Connection): mongo.Collection<JobDoc> {
  return conn.collection<JobDoc>(COLLECTIONS.jobs);
}

/** A filter built from validated query values (no operator objects from the client). */
export const jobFilter = (f: Record<string, unknown>) => f as mongo.Filter<JobDoc>;

/** Up to `limit` jobs matching `filter`, newest first. */
export function newestJobs(
  conn: Connection,
  filter: Record<string, unknown>,
  limit: number,
): Promise<JobDoc[]> {
  return jobsCollection(conn)
    .find(jobFilter(filter))
    .sort({ _id: -1 })
    .limit(limit)
    .toArray() as Promise<JobDoc[]>;
}
