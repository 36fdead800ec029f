import { api, type JobType } from '../api';
import { usePoll } from '../hooks';

/**
 * The job-type catalogue: every registered type (built-in or a worker of one's own), its
 * worker group, and whether a worker running it is alive ("no worker seen since …").
 */
export function JobTypesCard() {
  const { data, error } = usePoll(() => api<JobType[]>('/v1/job-types'), 5000);
  return (
    <section class="card" aria-labelledby="job-types-title">
      <h2 id="job-types-title">Job types</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table data-testid="job-types">
        <caption>From the catalogue the workers write when they start.</caption>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Worker group</th>
            <th scope="col">Workers</th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody>
          {(data ?? []).map((t) => (
            <tr key={t.name} data-job-type={t.name}>
              <th scope="row">
                <code>{t.name}</code>
              </th>
              <td>{t.queue}</td>
              <td>
                <span class={`status ${t.worker.live ? 'status-succeeded' : 'status-failed'}`}>
                  {t.worker.message}
                </span>
              </td>
              <td>{t.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
