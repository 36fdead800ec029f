import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { duration } from '../format';

interface QueuePosition {
  status: string;
  lane: 'standard' | 'priority';
  position: number | null;
  finishedPerMinute: number;
  etaSeconds: number | null;
  dueAt: string | null;
}

/**
 * A queued job's place in line: "Position 3 of demo.count in the standard lane, about 40 s at
 * the current rate", read again every 3 s while the job waits.
 */
export function QueueStanding({ id, type, queued }: { id: string; type: string; queued: boolean }) {
  const [pos, setPos] = useState<QueuePosition | null>(null);
  useEffect(() => {
    if (!queued) {
      setPos(null);
      return;
    }
    let stopped = false;
    const read = () =>
      api<QueuePosition>(`/v1/jobs/${id}/position`).then(
        (p) => !stopped && setPos(p),
        () => undefined,
      );
    void read();
    const t = setInterval(() => void read(), 3000);
    return () => {
      stopped = true;
      clearInterval(t);
    };
  }, [id, queued]);
  if (!queued || pos?.position == null) return null;
  const eta =
    pos.etaSeconds === null
      ? `no ${type} job finished in the last 5 minutes, so no estimate yet`
      : `about ${duration(pos.etaSeconds * 1000)} at the current rate (${pos.finishedPerMinute.toFixed(1)} finished per minute)`;
  return (
    <p class="standing" data-testid="queue-position" role="status">
      Position <strong>{pos.position.toLocaleString('en')}</strong> of {type} in the {pos.lane}{' '}
      lane, {eta}.
    </p>
  );
}
