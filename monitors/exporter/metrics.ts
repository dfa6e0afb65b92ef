// The exporter's metrics (names are the interface the rules and dashboard use): one Registry per exporter, a fresh one per /probe.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { phaseNames, type TlsDetails } from './http-get';
import { failureReasons, type ProbeResult } from './probers';

/** The latency histogram's buckets; 0.5 s is the latency SLO threshold. */
export const probeDurationBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type ProbeLabels = 'operation' | 'target';

/** blackbox_exporter's names and meanings (prober/http.go, prober/tls.go), so its dashboards and alerts read ours. */
const certExpiryName = 'probe_ssl_earliest_cert_expiry';
const certExpiryHelp = 'Earliest notAfter in the certificate chain the target presented at the last TLS handshake, in seconds since the Unix epoch (HTTPS only).';
const tlsVersionName = 'probe_tls_version_info';
const tlsVersionHelp = 'TLS version of the last handshake with the target: 1 on its `version` label, e.g. "TLS 1.3" (HTTPS only).';

/** The last-probe gauges shared by scheduled mode and /probe. */
class LastProbeGauges {
  readonly success: Gauge<ProbeLabels>;
  readonly duration: Gauge<ProbeLabels>;
  readonly statusCode: Gauge<ProbeLabels>;
  readonly phase: Gauge<ProbeLabels | 'phase'>;
  readonly lastTimestamp: Gauge<ProbeLabels>;
  readonly undocumented: Gauge<ProbeLabels>;

  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames = ['operation', 'target'] as const;
    this.success = new Gauge({ name: 'probe_success', help: 'Whether the last probe succeeded (1) or failed (0).', labelNames, registers });
    this.duration = new Gauge({ name: 'probe_duration_seconds', help: 'How long the HTTP exchange of the last probe took (the sum of its phases), in seconds.', labelNames, registers });
    this.statusCode = new Gauge({ name: 'probe_http_status_code', help: 'HTTP status of the last probe; 0 when no response arrived.', labelNames, registers });
    this.phase = new Gauge({
      name: 'probe_http_duration_seconds',
      help: 'Duration of each phase of the last probe on a fresh connection (resolve, connect, tls, processing, transfer), in seconds.',
      labelNames: ['operation', 'target', 'phase'],
      registers,
    });
    this.lastTimestamp = new Gauge({ name: 'customer_api_last_probe_timestamp_seconds', help: 'When the last probe finished, in seconds since the Unix epoch.', labelNames, registers });
    this.undocumented = new Gauge({
      name: 'customer_api_undocumented_properties',
      help: 'Undocumented (non-breaking) properties in the last probe response.',
      labelNames,
      registers,
    });
  }

  set(labels: { operation: string; target: string }, result: ProbeResult, finishedAtMs: number): void {
    this.success.set(labels, result.success ? 1 : 0);
    this.duration.set(labels, result.durationSeconds);
    this.statusCode.set(labels, result.statusCode);
    for (const phase of phaseNames) this.phase.set({ ...labels, phase }, result.phases[phase]);
    this.lastTimestamp.set(labels, finishedAtMs / 1000);
    this.undocumented.set(labels, result.undocumentedProperties);
  }
}

/** The scheduled-mode metrics: last-probe gauges plus counters and the latency histogram for SLOs. */
export class ExporterMetrics {
  readonly registry = new Registry();
  readonly #last: LastProbeGauges;
  readonly #probes: Counter<ProbeLabels>;
  readonly #failures: Counter<ProbeLabels | 'reason'>;
  readonly #histogram: Histogram<ProbeLabels>;
  readonly #tokenExpiry: Gauge<'target'>;
  readonly #certExpiry: Gauge<'target'>;
  readonly #tlsVersion: Gauge<'target' | 'version'>;
  /** The version label each target's probe_tls_version_info carries, so a change replaces the series instead of adding one. */
  readonly #tlsVersions = new Map<string, string>();

  constructor(options: { defaultMetrics: boolean }) {
    const registers = [this.registry];
    this.#last = new LastProbeGauges(this.registry);
    this.#probes = new Counter({ name: 'customer_api_probes_total', help: 'Probes completed.', labelNames: ['operation', 'target'], registers });
    this.#failures = new Counter({
      name: 'customer_api_probe_failures_total',
      help: 'Failed probes by reason: timeout, connect, tls, http_5xx, auth, not_found, throttled, contract, other.',
      labelNames: ['operation', 'target', 'reason'],
      registers,
    });
    this.#histogram = new Histogram({
      name: 'customer_api_probe_duration_seconds',
      help: 'Probe durations (the HTTP exchange), in seconds.',
      labelNames: ['operation', 'target'],
      buckets: probeDurationBuckets,
      registers,
    });
    this.#tokenExpiry = new Gauge({
      name: 'customer_api_token_expiry_timestamp_seconds',
      help: "When the target's token expires (its JWT exp claim), in seconds since the Unix epoch; absent for opaque tokens.",
      labelNames: ['target'],
      registers,
    });
    // Per target: both operations meet the same host and its certificate. Kept from the last probe that completed a
    // handshake, so a connection failure does not blank the figure (and the expiry alert) until the next one.
    this.#certExpiry = new Gauge({ name: certExpiryName, help: certExpiryHelp, labelNames: ['target'], registers });
    this.#tlsVersion = new Gauge({ name: tlsVersionName, help: tlsVersionHelp, labelNames: ['target', 'version'], registers });
    if (options.defaultMetrics) {
      collectDefaultMetrics({ register: this.registry });
      // prom-client names these gauges *_total, which the naming guide (and promtool check metrics) reserves for
      // counters; the same figures stay available as nodejs_active_handles / _requests / _resources by type.
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
        this.registry.removeSingleMetric(name);
      }
    }
  }

  /** Creates every counter and histogram series at 0 so rate() works from the first scrape. */
  initialise(target: string, operation: string): void {
    const labels = { operation, target };
    this.#probes.inc(labels, 0);
    for (const reason of failureReasons) this.#failures.inc({ ...labels, reason }, 0);
    this.#histogram.zero(labels);
  }

  record(target: string, operation: string, result: ProbeResult, finishedAtMs: number): void {
    const labels = { operation, target };
    this.#last.set(labels, result, finishedAtMs);
    this.#probes.inc(labels);
    if (result.reason) this.#failures.inc({ ...labels, reason: result.reason });
    // Latency is the API's: a slot in which nothing was sent (backing off after 429, no token) has none to observe,
    // and a 0 here would count as a fast probe in the latency SLI.
    if (result.sent) this.#histogram.observe(labels, result.durationSeconds);
    if (result.tls) this.#recordTls(target, result.tls);
  }

  #recordTls(target: string, tls: TlsDetails): void {
    if (tls.earliestCertExpirySeconds !== undefined) this.#certExpiry.set({ target }, tls.earliestCertExpirySeconds);
    const previous = this.#tlsVersions.get(target);
    if (previous !== undefined && previous !== tls.version) this.#tlsVersion.remove({ target, version: previous });
    this.#tlsVersions.set(target, tls.version);
    this.#tlsVersion.set({ target, version: tls.version }, 1);
  }

  tokenExpiry(target: string, expiresAt: number | undefined): void {
    if (expiresAt === undefined) this.#tokenExpiry.remove({ target });
    else this.#tokenExpiry.set({ target }, expiresAt);
  }
}

/**
 * A fresh registry holding one on-demand probe's gauges (blackbox_exporter's /probe answer): the last-probe gauges, why it
 * failed (customer_api_probe_failed_due_to: every reason present, 1 on this probe's, all 0 on success), and for HTTPS
 * the certificate expiry and TLS version of its handshake.
 */
export function singleProbeRegistry(target: string, operation: string, result: ProbeResult, finishedAtMs: number): Registry {
  const registry = new Registry();
  const registers = [registry];
  const labels = { operation, target };
  new LastProbeGauges(registry).set(labels, result, finishedAtMs);
  const failedDueTo = new Gauge({
    name: 'customer_api_probe_failed_due_to',
    help: `Why this probe failed: 1 on its reason, 0 on the others (${failureReasons.join(', ')}); all 0 when it succeeded.`,
    labelNames: ['operation', 'target', 'reason'],
    registers,
  });
  for (const reason of failureReasons) failedDueTo.set({ ...labels, reason }, result.reason === reason ? 1 : 0);
  if (result.tls) {
    if (result.tls.earliestCertExpirySeconds !== undefined) {
      new Gauge({ name: certExpiryName, help: certExpiryHelp, labelNames: ['operation', 'target'], registers }).set(labels, result.tls.earliestCertExpirySeconds);
    }
    new Gauge({ name: tlsVersionName, help: tlsVersionHelp, labelNames: ['operation', 'target', 'version'], registers }).set({ ...labels, version: result.tls.version }, 1);
  }
  return registry;
}

/**
 * The /metrics text for a large registry, rendered off the scrape path every `refreshMs`.
 * prom-client needs ~150-200 ms of CPU for 1,000 targets (60k series); rendering on a timer keeps each scrape to
 * a few milliseconds and bounds that cost, at the price of figures up to `refreshMs` old (probes run every 30 s).
 */
export class PrerenderedExposition {
  #text: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #rendering: Promise<void> | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly refreshMs: number,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    void this.#render();
    this.#timer = setInterval(() => void this.#render(), this.refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** The latest rendering (the first scrape waits for one). */
  async text(): Promise<string> {
    if (this.#text === undefined) await this.#render();
    return this.#text ?? '';
  }

  #render(): Promise<void> {
    this.#rendering ??= this.registry
      .metrics()
      .then((text) => {
        this.#text = text;
      })
      .catch((error: unknown) => this.log(`rendering /metrics failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        this.#rendering = undefined;
      });
    return this.#rendering;
  }
}
