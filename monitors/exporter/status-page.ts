// The status page at `/` and its JSON twin `/status.json`: one entry per target×operation with state, streak, history and ratios; never a token.
import type { ProbeTarget } from './config';
import { recentResultsKept, type RecentResult, type RememberedFailure } from './history';
import { latencyThresholdSeconds } from './metrics';
import type { ContractBreak } from './probers';
import type { ProbeState } from './scheduler';

/** What the page and /status.json are built from. */
export interface StatusInput {
  targets: ReadonlyArray<ProbeTarget>;
  states: ReadonlyArray<ProbeState>;
  /** Targets backing off after HTTP 429, with when the backoff ends (ms since the epoch): THROTTLED whatever the last result. */
  throttled?: ReadonlyMap<string, number>;
  /** The Retry-After each throttled target sent, in seconds; absent (or undefined) when it sent none. */
  retryAfterSeconds?: ReadonlyMap<string, number | undefined>;
  intervalSeconds: number;
  nowMs: number;
}

/** `/status.json`: the status page's data for scripts. Times are ISO 8601 UTC strings, null when there is none. */
export interface StatusReport {
  generatedAt: string;
  intervalSeconds: number;
  /** How many recent results each `history` holds at most. */
  historyLength: number;
  probes: ProbeStatus[];
}

/** `slow`: the last probe succeeded but took longer than the latency SLO threshold (0.5 s). */
export type ProbeStatusName = 'up' | 'slow' | 'failing' | 'throttled' | 'pending';

/** One target×operation. */
export interface ProbeStatus {
  target: string;
  /** The target's host and port (never its path, query or credentials). */
  host: string;
  operation: string;
  status: ProbeStatusName;
  /** Since when every probe has succeeded; null while failing or before the first probe. */
  healthySince: string | null;
  /** Since when every probe has failed (a throttled slot is a failure); null while healthy or before the first probe. */
  failingSince: string | null;
  lastSuccess: string | null;
  /** While backing off after HTTP 429: when the exporter calls the API again. */
  throttledUntil: string | null;
  /** While backing off: the Retry-After the API sent, in seconds; null when it sent none. */
  retryAfterSeconds: number | null;
  /** The latency SLO threshold the `slow` state is judged by, in seconds. */
  latencyThresholdSeconds: number;
  successRatio: { lastHour: SuccessRatio; lastDay: SuccessRatio };
  last: ProbeOutcome | null;
  /** The most recent failure, kept after recovery. */
  lastFailure: ProbeOutcome | null;
  /** The last `historyLength` results, oldest first. */
  history: HistoryPoint[];
  /** The last few failed probes with their evidence, newest first. */
  failures: FailedProbe[];
}

/** A failed probe with what was sent and what came back. */
export interface FailedProbe extends ProbeOutcome {
  request: { method: string; path: string } | null;
  phases: Record<string, number> | null;
  bodyExcerpt: string | null;
  bodyTruncated: boolean;
}

/**
 * Successful probes / probes that were not throttled, in a window; `ratio` is null when there were none. A throttled
 * probe (HTTP 429, or a slot skipped while backing off) says nothing about the API's health and is left out, as the SLO does.
 */
export interface SuccessRatio {
  ratio: number | null;
  probes: number;
  successes: number;
  throttled: number;
}

export interface HistoryPoint {
  at: string;
  success: boolean;
  reason: string | null;
  statusCode: number;
  durationSeconds: number;
}

export interface ProbeOutcome extends HistoryPoint {
  detail: string;
  /** For reason="contract": the JSON pointer with what the contract expected and what came. */
  contract: ContractBreak | null;
}

/** The data behind the page, shared by `/` and `/status.json`. */
export function buildStatusReport(input: StatusInput): StatusReport {
  return {
    generatedAt: new Date(input.nowMs).toISOString(),
    intervalSeconds: input.intervalSeconds,
    historyLength: recentResultsKept,
    probes: probeStatuses(input, input.states),
  };
}

/** A pair's state name, without building the rest of its report. */
function statusName(state: ProbeState, input: StatusInput): ProbeStatusName {
  const throttledUntil = input.throttled?.get(state.target);
  // A target the exporter is not calling is not UP, even if its last answer (before the 429) was fine.
  if (throttledUntil !== undefined && throttledUntil > input.nowMs) return 'throttled';
  const last = state.last;
  if (!last) return 'pending';
  if (last.success) return last.durationSeconds > latencyThresholdSeconds ? 'slow' : 'up';
  return last.reason === 'throttled' ? 'throttled' : 'failing';
}

function probeStatuses(input: StatusInput, states: ReadonlyArray<ProbeState>): ProbeStatus[] {
  const hosts = new Map(input.targets.map((t) => [t.name, hostOf(t.baseUrl)]));
  const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
  const point = (r: RecentResult): HistoryPoint => ({
    at: iso(r.atMs)!,
    success: r.success,
    reason: r.reason ?? null,
    statusCode: r.statusCode,
    // Microseconds are all a probe's timing can tell; more digits are float noise.
    durationSeconds: Math.round(r.durationSeconds * 1e6) / 1e6,
  });
  const ratio = (counts: { probes: number; successes: number; throttled: number }): SuccessRatio => ({
    ...counts,
    ratio: counts.probes - counts.throttled <= 0 ? null : counts.successes / (counts.probes - counts.throttled),
  });
  const failed = (f: RememberedFailure): FailedProbe => ({
    ...point(f),
    detail: f.detail,
    contract: f.contractBreak ?? null,
    request: f.evidence ? { method: f.evidence.method, path: f.evidence.path } : null,
    phases: f.phases ? { ...f.phases } : null,
    bodyExcerpt: f.evidence ? f.evidence.bodyExcerpt : null,
    bodyTruncated: f.evidence?.bodyTruncated ?? false,
  });
  return states.map((state): ProbeStatus => {
    const last = state.last;
    const throttledUntil = input.throttled?.get(state.target);
    const backingOff = throttledUntil !== undefined && throttledUntil > input.nowMs;
    const status = statusName(state, input);
    const streak = state.history.streak();
    const failure: RememberedFailure | undefined = state.history.lastFailure();
    return {
      target: state.target,
      host: hosts.get(state.target) ?? '',
      operation: state.operation,
      status,
      healthySince: streak?.success ? iso(streak.sinceMs) : null,
      failingSince: streak && !streak.success ? iso(streak.sinceMs) : null,
      lastSuccess: iso(state.history.lastSuccessAtMs()),
      throttledUntil: backingOff ? iso(throttledUntil) : null,
      retryAfterSeconds: backingOff ? (input.retryAfterSeconds?.get(state.target) ?? null) : null,
      latencyThresholdSeconds,
      successRatio: { lastHour: ratio(state.history.counts(60, input.nowMs)), lastDay: ratio(state.history.counts(24 * 60, input.nowMs)) },
      last: last ? { ...point({ ...last, atMs: last.finishedAtMs }), detail: last.detail, contract: last.contractBreak ?? null } : null,
      lastFailure: failure ? { ...point(failure), detail: failure.detail, contract: failure.contractBreak ?? null } : null,
      history: state.history.recent().map(point),
      failures: state.history.failures().map(failed),
    };
  });
}

/**
 * The page shows at most this many rows: at 10,000 targets a row for each of the 20,000 pairs is a page of HTML in the hundred-megabyte range that
 * no browser wants. Beyond it the rows are failing and throttled first, then pending, then up (configuration order within
 * each), with a line counting every state; /status.json keeps every pair.
 */
export const maxStatusPageRows = 200;

const statusRank: Readonly<Record<ProbeStatusName, number>> = { failing: 0, throttled: 1, slow: 2, pending: 3, up: 4 };

/** Renders the status page for the current probe states. */
export function renderStatusPage(input: StatusInput): string {
  const nowMs = input.nowMs;
  const names = input.states.map((state) => statusName(state, input));
  const counts: Record<ProbeStatusName, number> = { up: 0, slow: 0, failing: 0, throttled: 0, pending: 0 };
  for (const name of names) counts[name] += 1;
  let shown: ReadonlyArray<ProbeState> = input.states;
  if (input.states.length > maxStatusPageRows) {
    shown = input.states
      .map((state, index) => ({ state, index, rank: statusRank[names[index]!] }))
      .sort((a, b) => a.rank - b.rank || a.index - b.index)
      .slice(0, maxStatusPageRows)
      .map((entry) => entry.state);
  }
  const report = { probes: probeStatuses(input, shown) };
  const refreshSeconds = Math.max(2, Math.min(30, Math.round(input.intervalSeconds)));
  const rows = report.probes.map((p) => {
    const last = p.last;
    // "Retry-After" only when the API sent one; otherwise the backoff is the exporter's own.
    const backoffNote = p.throttledUntil
      ? `not calling the API for ${Math.ceil((Date.parse(p.throttledUntil) - nowMs) / 1000)} s more ${
          p.retryAfterSeconds === null ? '(HTTP 429 without Retry-After: backing off on its own)' : `(HTTP 429, Retry-After ${p.retryAfterSeconds} s)`
        }`
      : undefined;
    const since = p.failingSince ?? p.healthySince;
    const sinceCell = since
      ? `${p.failingSince ? 'failing' : 'healthy'} since ${escape(clock(Date.parse(since), nowMs))}<br><small>for ${escape(span(nowMs - Date.parse(since)))}</small>`
      : '—';
    const lastProbe = last
      ? `${last.statusCode === 0 ? 'no response' : `HTTP ${last.statusCode}`} · ${Math.round(last.durationSeconds * 1000)} ms<br><small>${age(nowMs - Date.parse(last.at))}</small>`
      : '—';
    let detail = last ? escape(last.detail) + contractBlock(last.contract) : 'first probe not run yet';
    if (backoffNote) detail = `${escape(backoffNote)}${last ? `<br><small>last: ${escape(last.detail)}</small>` : ''}`;
    if (p.status === 'slow' && last) {
      detail = `slower than the ${p.latencyThresholdSeconds * 1000} ms latency threshold: ${Math.round(last.durationSeconds * 1000)} ms<br><small>${escape(last.detail)}</small>`;
    }
    if ((p.status === 'up' || p.status === 'slow') && p.lastFailure) {
      const f = p.lastFailure;
      detail += `<div class="earlier">last failure ${escape(clock(Date.parse(f.at), nowMs))}: ${escape(f.reason ?? '')} — ${escape(f.detail)}${contractBlock(f.contract)}</div>`;
    }
    const cells = [
      `<td>${escape(p.target)}<br><small>${escape(p.host)}</small></td>`,
      `<td><code>${escape(p.operation)}</code></td>`,
      `<td class="state"><span class="badge ${p.status}">${p.status.toUpperCase()}</span></td>`,
      `<td class="since">${sinceCell}</td>`,
      `<td class="history">${historyBar(p.history, nowMs)}</td>`,
      `<td class="ratio">${ratioText(p.successRatio.lastHour)}<br><small>24 h ${ratioText(p.successRatio.lastDay)}</small></td>`,
      `<td class="last-success">${p.lastSuccess ? `${escape(clock(Date.parse(p.lastSuccess), nowMs))}<br><small>${age(nowMs - Date.parse(p.lastSuccess))}</small>` : 'never'}</td>`,
      `<td class="last-probe">${lastProbe}</td>`,
      `<td class="reason">${p.status === 'throttled' && p.throttledUntil ? 'throttled' : last?.reason ? escape(last.reason) : '—'}</td>`,
      `<td class="detail">${detail}${failuresBlock(p.failures, nowMs)}</td>`,
    ];
    return `<tr data-target="${escape(p.target)}" data-operation="${escape(p.operation)}" data-status="${p.status}">${cells.join('')}</tr>`;
  });
  const failing = counts.failing + counts.throttled;
  const summary =
    input.states.length > maxStatusPageRows
      ? `<p class="summary">${input.states.length} target×operation pairs: ${counts.failing} failing, ${counts.throttled} throttled, ${counts.slow} slow, ${counts.pending} pending, ${counts.up} up. Showing the first ${maxStatusPageRows} rows, failing and throttled first; <a href="status.json">/status.json</a> has every pair.</p>\n`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="${refreshSeconds}">
<title>${failing > 0 ? `${failing} failing — ` : ''}Customer API probes</title>
<style>
body { font: 13px/1.35 system-ui, sans-serif; margin: 1em 1.2em; color: #222; }
h1 { font-size: 1.5em; margin: 0 0 .3em; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: .4em .45em; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
th { font-size: .85em; color: #555; font-weight: 600; white-space: nowrap; }
td.last-probe, td.ratio { white-space: nowrap; }
td.since { min-width: 7.5em; }
td.detail { min-width: 20em; max-width: 34em; overflow-wrap: anywhere; }
.badge { padding: .1em .5em; border-radius: .3em; font-weight: 600; color: #fff; }
.up { background: #2e7d32; } .slow { background: #f9a825; color: #222; } .failing { background: #c62828; } .throttled { background: #ef6c00; } .pending { background: #757575; }
.bar { display: flex; gap: 1px; height: 1.4em; align-items: stretch; }
.bar i { width: 3px; border-radius: 1px; }
.bar i.none { background: #eee; }
.contract { margin: .35em 0 0; padding: .3em .6em; border-radius: .3em; background: #fdecea; font-size: .9em; display: grid; grid-template-columns: auto 1fr; gap: .1em .8em; }
.earlier .contract { background: #f1f1f1; }
.contract dt { color: #666; } .contract dd { margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
.earlier { margin-top: .4em; color: #666; font-size: .9em; }
.failures { margin-top: .4em; font-size: .9em; } .failures ul { margin: .2em 0; padding-left: 1.2em; } .excerpt { overflow-wrap: anywhere; }
small { color: #666; }
</style>
</head>
<body>
<h1>Customer API synthetic probes</h1>
<p>Probing every ${input.intervalSeconds} s; the bar shows the last ${recentResultsKept} probes, oldest on the left. This page refreshes every ${refreshSeconds} s. Metrics: <a href="metrics">/metrics</a>; the same data as JSON: <a href="status.json">/status.json</a>.</p>
${summary}<table>
<thead><tr><th>Target</th><th>Operation</th><th>State</th><th>Since</th><th>Last ${recentResultsKept} probes</th><th>Success 1 h / 24 h</th><th>Last success</th><th>Last probe</th><th>Reason</th><th>Detail</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</body>
</html>
`;
}

/** The history bar: one cell per kept result, empty cells first until the ring is full; each cell's title says what happened. */
function historyBar(history: ReadonlyArray<HistoryPoint>, nowMs: number): string {
  const empty = '<i class="none"></i>'.repeat(Math.max(0, recentResultsKept - history.length));
  const cells = history.map((h) => {
    const kind = h.success ? 'up' : h.reason === 'throttled' ? 'throttled' : 'failing';
    const what = h.success ? 'up' : (h.reason ?? 'failed');
    const title = `${clock(Date.parse(h.at), nowMs)}: ${what}, ${h.statusCode === 0 ? 'no response' : `HTTP ${h.statusCode}`}, ${Math.round(h.durationSeconds * 1000)} ms`;
    return `<i class="${kind}" title="${escape(title)}"></i>`;
  });
  const up = history.filter((h) => h.success).length;
  return `<div class="bar" role="img" aria-label="last ${history.length} probes: ${up} up, ${history.length - up} failed" data-probes="${history.length}">${empty}${cells.join('')}</div>`;
}

/** The last failed probes with their evidence, folded: request, status, phases, body excerpt. */
function failuresBlock(failures: ReadonlyArray<FailedProbe>, nowMs: number): string {
  if (failures.length === 0) return '';
  const items = failures.map((f) => {
    const request = f.request ? `${f.request.method} ${f.request.path}` : 'no request sent';
    const phases = f.phases
      ? Object.entries(f.phases)
          .map(([name, seconds]) => `${name} ${Math.round(seconds * 1000)} ms`)
          .join(', ')
      : '';
    const body = f.bodyExcerpt ? `<br><code class="excerpt">${escape(f.bodyExcerpt)}${f.bodyTruncated ? '…' : ''}</code>` : '';
    return `<li>${escape(clock(Date.parse(f.at), nowMs))} ${escape(f.reason ?? 'failed')}: <code>${escape(request)}</code> → ${
      f.statusCode === 0 ? 'no response' : `HTTP ${f.statusCode}`
    } in ${Math.round(f.durationSeconds * 1000)} ms${phases ? ` <small>(${escape(phases)})</small>` : ''}${body}</li>`;
  });
  return `<details class="failures"><summary>last ${failures.length} failed probe${failures.length === 1 ? '' : 's'}</summary><ul>${items.join('')}</ul></details>`;
}

function contractBlock(contract: ContractBreak | null): string {
  if (!contract) return '';
  return `<dl class="contract"><dt>pointer</dt><dd>${escape(contract.pointer || '(body)')}</dd><dt>expected</dt><dd>${escape(contract.expected)}</dd><dt>observed</dt><dd>${escape(contract.observed)}</dd></dl>`;
}

/** "99.9 %" (rounded down, so 100 % means every probe), or "—" without probes; the title gives the counts. */
function ratioText(ratio: SuccessRatio): string {
  if (ratio.ratio === null) return '<span title="no probes in this window">—</span>';
  const percent = ratio.ratio === 1 ? '100' : (Math.floor(ratio.ratio * 1000) / 10).toFixed(1);
  return `<span title="${ratio.successes} of ${ratio.probes} probes succeeded">${percent} %</span>`;
}

/** A time as HH:MM:SS UTC, with the date when it is not within the last day. */
function clock(ms: number, nowMs: number): string {
  const iso = new Date(ms).toISOString();
  return nowMs - ms < 86_400_000 ? `${iso.slice(11, 19)} UTC` : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return '';
  }
}

/** A duration in words: "45 s", "12 min", "3 h 20 min", "2 d 4 h". */
function span(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
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
