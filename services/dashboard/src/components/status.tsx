import type { JobResource } from '../api';

/** A job status as a labelled badge (colour and text: never colour alone). */
export function Status({ status }: { status: JobResource['status'] }) {
  return <span class={`status status-${status}`}>{status}</span>;
}
