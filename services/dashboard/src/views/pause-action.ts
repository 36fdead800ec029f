import { useState } from 'preact/hooks';
import { errorText, request } from '../api';

/** What a pause or resume said, for a `Notice`. */
export interface PauseNotice {
  text: string;
  error?: boolean;
}

/**
 * Pausing and resuming one kind of thing (a job type, a queue): `act(name, 'POST')` pauses it
 * at `path(name)`, `'DELETE'` resumes it; `notice` says what happened (how many waiting jobs
 * a resume dispatched again, or the error), then `reload` refreshes the list.
 */
export function usePauseAction(
  path: (name: string) => string,
  label: (name: string) => string,
  reload: () => Promise<void>,
): { notice: PauseNotice | null; act: (name: string, how: 'POST' | 'DELETE') => Promise<void> } {
  const [notice, setNotice] = useState<PauseNotice | null>(null);
  async function act(name: string, how: 'POST' | 'DELETE') {
    try {
      const res = await request(path(name), { method: how });
      const body = (await res.json()) as { redispatched?: number };
      setNotice({
        text:
          how === 'POST'
            ? `Paused ${label(name)}: its jobs wait until it is resumed.`
            : `Resumed ${label(name)}; ${body.redispatched ?? 0} waiting jobs dispatched again.`,
      });
      await reload();
    } catch (err) {
      setNotice({ text: errorText(err), error: true });
    }
  }
  return { notice, act };
}
