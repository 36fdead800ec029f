import type { CheckResult, StoreCheckReport, ServerInfo } from './index.js';

/** One line per check: `PASS name (1.2 s): figures`. */
export function formatResult(result: CheckResult): string {
  return `${result.ok ? 'PASS' : 'FAIL'} ${result.name} (${(result.ms / 1000).toFixed(1)} s): ${result.detail}`;
}

/** The server line printed before the checks. */
export function formatServer(server: ServerInfo): string {
  const wire = server.maxWireVersion === null ? 'unknown' : String(server.maxWireVersion);
  const ferret = server.ferretdbVersion ? `, FerretDB ${server.ferretdbVersion}` : '';
  return `server: reports MongoDB ${server.version}, wire version ${wire}${ferret}`;
}

/** The closing lines: cleanup and the overall verdict. */
export function formatSummary(report: StoreCheckReport): string[] {
  const passed = report.results.filter((r) => r.ok).length;
  const failed = report.results.length - passed;
  return [
    report.dropped
      ? `PASS cleanup: database ${report.database} dropped`
      : `FAIL cleanup: database ${report.database} is still there (drop it by hand)`,
    report.ok && report.dropped
      ? `store check passed: ${passed} of ${report.results.length} checks`
      : `store check FAILED: ${failed} of ${report.results.length} checks failed${report.dropped ? '' : ', cleanup failed'} — Conveyor's job store is not safe on this server`,
  ];
}
