// The human status page at `/`: server-rendered HTML, one row per target×operation, refreshing itself; never a token.
import type { ProbeTarget } from './config';
import type { ProbeState } from './scheduler';

/** Renders the status page for the current probe states. */
export function renderStatusPage(options: {
  targets: ReadonlyArray<ProbeTarget>;
  states: ReadonlyArray<ProbeState>;
  /** Targets backing off after HTTP 429, with when the backoff ends (ms since the epoch): THROTTLED whatever the last result. */
  throttled?: ReadonlyMap<string, number>;
  intervalSeconds: number;
  nowMs: number;
}): string {
  const hosts = new Map(options.targets.map((t) => [t.name, hostOf(t.baseUrl)]));
  const refreshSeconds = Math.max(2, Math.min(30, Math.round(options.intervalSeconds)));
  const rows = options.states.map((state) => {
    const last = state.last;
    const throttledUntil = options.throttled?.get(state.target);
    const backingOff = throttledUntil !== undefined && throttledUntil > options.nowMs;
    // A target the exporter is not calling is not UP, even if its last answer (before the 429) was fine.
    const status = backingOff ? 'throttled' : !last ? 'pending' : last.success ? 'up' : last.reason === 'throttled' ? 'throttled' : 'failing';
    const backoffNote = backingOff ? `not calling the API for ${Math.ceil((throttledUntil - options.nowMs) / 1000)} s more (HTTP 429, Retry-After)` : undefined;
    const cells = [
      `<td>${escape(state.target)}<br><small>${escape(hosts.get(state.target) ?? '')}</small></td>`,
      `<td><code>${escape(state.operation)}</code></td>`,
      `<td class="state"><span class="badge ${status}">${status.toUpperCase()}</span></td>`,
      `<td class="reason">${backingOff ? 'throttled' : last?.reason ? escape(last.reason) : '—'}</td>`,
      `<td>${last ? (last.statusCode === 0 ? 'no response' : String(last.statusCode)) : '—'}</td>`,
      `<td>${last ? `${Math.round(last.durationSeconds * 1000)} ms` : '—'}</td>`,
      `<td>${last ? age(options.nowMs - last.finishedAtMs) : '—'}</td>`,
      `<td class="detail">${backoffNote ? `${escape(backoffNote)}${last ? `<br><small>last: ${escape(last.detail)}</small>` : ''}` : last ? escape(last.detail) : 'first probe not run yet'}</td>`,
    ];
    return `<tr data-target="${escape(state.target)}" data-operation="${escape(state.operation)}" data-status="${status}">${cells.join('')}</tr>`;
  });
  const failing = options.states.filter((s) => (s.last && !s.last.success) || (options.throttled?.get(s.target) ?? 0) > options.nowMs).length;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="${refreshSeconds}">
<title>${failing > 0 ? `${failing} failing — ` : ''}Customer API probes</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; }
th, td { padding: .4em .8em; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
.badge { padding: .1em .5em; border-radius: .3em; font-weight: 600; color: #fff; }
.up { background: #2e7d32; } .failing { background: #c62828; } .throttled { background: #ef6c00; } .pending { background: #757575; }
small { color: #666; }
</style>
</head>
<body>
<h1>Customer API synthetic probes</h1>
<p>Probing every ${options.intervalSeconds} s. This page refreshes every ${refreshSeconds} s. Metrics: <a href="metrics">/metrics</a>.</p>
<table>
<thead><tr><th>Target</th><th>Operation</th><th>State</th><th>Reason</th><th>HTTP status</th><th>Latency</th><th>Age</th><th>Detail</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</body>
</html>
`;
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return '';
  }
}

function age(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
