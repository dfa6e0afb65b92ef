// The exporter's metrics (names are the interface the rules and dashboard use): one Registry per exporter, a fresh one per /probe.
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { phaseNames, type TlsDetails } from './http-get';
import { failureReasons, type ProbeResult } from './probers';

/** The latency SLO threshold, in seconds: a bucket boundary of the histogram, and the status page's SLOW line. */
export const latencyThresholdSeconds = 0.5;

/**
 * The latency histogram's buckets: fine around the 0.5 s SLO threshold (an exact 0.5 bucket, and 0.3 … 0.75 either
 * side), so a quantile near it is read within a few percent instead of interpolated over 0.5–1 s.
 */
export const probeDurationBuckets = [0.05, 0.1, 0.25, 0.3, 0.4, 0.45, latencyThresholdSeconds, 0.55, 0.6, 0.75, 1, 2.5, 5, 10];

type ProbeLabels = 'operation' | 'target';

/** blackbox_exporter's names and meanings (prober/http.go, prober/tls.go), so its dashboards and alerts read ours. */
const certExpiryName = 'probe_ssl_earliest_cert_expiry';
const certExpiryHelp =
  'Earliest notAfter in the certificate chain the target presented at the last TLS handshake, in seconds since the Unix epoch (HTTPS only).';
const tlsVersionName = 'probe_tls_version_info';
const tlsVersionHelp = 'TLS version of the last handshake with the target: 1 on its `version` label, e.g. "TLS 1.3" (HTTPS only).';

/** The HELP of the last-probe gauges, shared by the /probe registry and the scheduled-mode table. */
const lastProbeHelp = {
  success: 'Whether the last probe succeeded (1) or failed (0).',
  duration: 'How long the HTTP exchange of the last probe took (the sum of its phases), in seconds.',
  statusCode: 'HTTP status of the last probe; 0 when no response arrived; 429 while throttled (also for slots skipped while backing off).',
  phase: 'Duration of each phase of the last probe on a fresh connection (resolve, connect, tls, processing, transfer), in seconds.',
  lastTimestamp: 'When the last probe finished, in seconds since the Unix epoch.',
  undocumented: 'Undocumented (non-breaking) properties in the last probe response.',
  violation:
    "1 for each of the last probe's first (up to 3) breaking contract findings: pointer is a path of the OpenAPI response schema (* = any array index), expected from the schema, observed bounded to 64 characters; absent when the last probe kept the contract.",
} as const;

/** The info series of a probe's contract violations. */
const violationName = 'customer_api_contract_violation_info';

/** The last-probe gauges of a /probe answer. */
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
    this.success = new Gauge({ name: 'probe_success', help: lastProbeHelp.success, labelNames, registers });
    this.duration = new Gauge({ name: 'probe_duration_seconds', help: lastProbeHelp.duration, labelNames, registers });
    this.statusCode = new Gauge({ name: 'probe_http_status_code', help: lastProbeHelp.statusCode, labelNames, registers });
    this.phase = new Gauge({ name: 'probe_http_duration_seconds', help: lastProbeHelp.phase, labelNames: ['operation', 'target', 'phase'], registers });
    this.lastTimestamp = new Gauge({ name: 'customer_api_last_probe_timestamp_seconds', help: lastProbeHelp.lastTimestamp, labelNames, registers });
    this.undocumented = new Gauge({ name: 'customer_api_undocumented_properties', help: lastProbeHelp.undocumented, labelNames, registers });
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

/**
 * Writes one chunk of the /metrics text; resolves once the chunk's bytes may be overwritten (handed to the kernel, or
 * the client is gone). Never rejects.
 */
export type ChunkWriter = (chunk: Buffer) => Promise<void>;

/** Each scrape streams through this many staging buffers of this size (several in flight while one is filled). */
const stagingBuffers = 4;
const stagingBufferBytes = 256 * 1024;
/** Sets of staging buffers kept for reuse: one per scrape in flight at once (one Prometheus scrapes one at a time). */
const maxSpareRings = 2;

/** Buckets of customer_api_probe_schedule_delay_seconds: how late a scheduled probe started behind its slot. */
export const scheduleDelayBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The scheduled-mode metrics: last-probe gauges plus counters and the latency histogram for SLOs. The per-pair families
 * (37 series per target×operation, plus up to 3 contract-violation series) live in a table of text encoded when a probe
 * completes, which a scrape only copies: rendering hundreds of thousands of series per scrape is what prom-client
 * cannot do in time (docs/benchmarks.md has the figures). The few per-target gauges, the exporter's own histogram and
 * process_* and nodejs_* stay in prom-client's registry, rendered by it.
 */
export class ExporterMetrics {
  readonly registry = new Registry();
  readonly #pairs = new ProbeSeriesTable();
  readonly #tokenExpiry: Gauge<'target'>;
  readonly #certExpiry: Gauge<'target'>;
  readonly #tlsVersion: Gauge<'target' | 'version'>;
  readonly #scheduleDelay: Histogram;
  /** The version label each target's probe_tls_version_info carries, so a change replaces the series instead of adding one. */
  readonly #tlsVersions = new Map<string, string>();
  /** Staging buffers no scrape holds now, for the next ones to reuse. */
  readonly #rings: Buffer[][] = [];

  /** The size of each staging buffer a scrape streams through. */
  readonly #stagingBytes: number;

  constructor(options: { defaultMetrics: boolean; stagingBufferBytes?: number }) {
    this.#stagingBytes = options.stagingBufferBytes ?? stagingBufferBytes;
    const registers = [this.registry];
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
    this.#scheduleDelay = new Histogram({
      name: 'customer_api_probe_schedule_delay_seconds',
      help: 'How late scheduled probes started behind their slot, in seconds (a busy exporter falls behind its schedule).',
      buckets: scheduleDelayBuckets,
      registers,
    });
    if (options.defaultMetrics) {
      collectDefaultMetrics({ register: this.registry });
      // prom-client names these gauges *_total, which the naming guide (and promtool check metrics) reserves for
      // counters; the same figures stay available as nodejs_active_handles / _requests / _resources by type.
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
        this.registry.removeSingleMetric(name);
      }
    }
  }

  /**
   * Writes the whole /metrics text (the per-pair table, then the registry) through `write`, chunk by chunk. The
   * chunks are a few small buffers reused in turn: each is refilled only once `write` resolved for it (its bytes were
   * handed to the kernel). Building the text in one fresh buffer per scrape was slow where touching tens of MB of
   * fresh (or recently released) memory is (docs/benchmarks.md); small buffers stay warm.
   *
   * Probes that complete meanwhile show in the families not yet written: every line, and every pair's block of one
   * family (a histogram's buckets, sum and count), is consistent; across families a pair may be one probe apart.
   */
  async writeExposition(write: ChunkWriter): Promise<void> {
    const registryText = Buffer.from(await this.registry.metrics());
    const ring = this.#rings.pop() ?? Array.from({ length: stagingBuffers }, () => Buffer.allocUnsafeSlow(this.#stagingBytes));
    const pending: Array<Promise<void>> = ring.map(() => Promise.resolve());
    const cursor = this.#pairs.cursor();
    for (let i = 0; ; i = (i + 1) % ring.length) {
      await pending[i];
      const chunk = cursor.next(ring[i]!);
      if (!chunk) break;
      pending[i] = write(chunk);
    }
    pending.push(write(registryText));
    await Promise.all(pending);
    if (this.#rings.length < maxSpareRings) this.#rings.push(ring);
  }

  /** The /metrics text as one string (tests; small exporters). */
  async expositionText(): Promise<string> {
    const chunks: Buffer[] = [];
    await this.writeExposition((chunk) => {
      chunks.push(Buffer.from(chunk));
      return Promise.resolve();
    });
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Creates every counter and histogram series at 0 so rate() works from the first scrape. */
  initialise(target: string, operation: string): void {
    this.#pairs.add(target, operation);
  }

  record(target: string, operation: string, result: ProbeResult, finishedAtMs: number): void {
    this.#pairs.record(target, operation, result, finishedAtMs);
    if (result.tls) this.#recordTls(target, result.tls);
  }

  /** How late a scheduled probe started behind its slot. */
  scheduleDelay(seconds: number): void {
    this.#scheduleDelay.observe(Math.max(0, seconds));
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

/** The families of the per-pair table, in /metrics order, with their HELP (the same texts the /probe registry uses). */
const pairFamilies = [
  ['probe_success', 'gauge', lastProbeHelp.success],
  ['probe_duration_seconds', 'gauge', lastProbeHelp.duration],
  ['probe_http_status_code', 'gauge', lastProbeHelp.statusCode],
  ['probe_http_duration_seconds', 'gauge', lastProbeHelp.phase],
  ['customer_api_last_probe_timestamp_seconds', 'gauge', lastProbeHelp.lastTimestamp],
  ['customer_api_undocumented_properties', 'gauge', lastProbeHelp.undocumented],
  [violationName, 'gauge', lastProbeHelp.violation],
  ['customer_api_probes_total', 'counter', 'Probes completed.'],
  ['customer_api_probe_failures_total', 'counter', 'Failed probes by reason: timeout, connect, tls, http_5xx, auth, not_found, throttled, contract, other.'],
  [
    'customer_api_probe_duration_seconds',
    'histogram',
    'Durations of successful probes (the HTTP exchange), in seconds; failed and throttled probes are not observed (the latency SLI).',
  ],
] as const;

/**
 * One target×operation's series as encoded exposition text: every family's lines in one buffer, rewritten in place
 * when the pair records a probe, with a view of each family's lines (empty for a last-probe family before the first
 * probe). A scrape then only copies bytes: the rendering and encoding are spread over the probes (each pair's few KB
 * once per interval) instead of all at once per scrape.
 */
class PairSeries {
  /** `operation="…",target="…"`, escaped once. */
  readonly labels: string;
  probes = 0;
  readonly failures = new Float64Array(failureReasons.length);
  /** Non-cumulative counts per bucket of probeDurationBuckets; +Inf is `count`. */
  readonly buckets = new Float64Array(probeDurationBuckets.length);
  sum = 0;
  count = 0;
  /** The encoded lines of every family in pairFamilies order, reused while the text fits. */
  #bytes = emptyBuffer;
  /** Each family's lines: a view into the encoded text, in pairFamilies order. */
  readonly families: Uint8Array[] = [];
  /** The last probe's gauge lines (the families before counterFamilies), '' before the first probe. */
  #lastProbe: string[] = pairFamilies.slice(0, counterFamilies).map(() => '');

  constructor(target: string, operation: string) {
    this.labels = `operation="${escapeLabel(operation)}",target="${escapeLabel(target)}"`;
    this.#encode();
  }

  record(result: ProbeResult, finishedAtMs: number): void {
    const l = this.labels;
    let phases = '';
    for (const phase of phaseNames) phases += `probe_http_duration_seconds{${l},phase="${phase}"} ${formatValue(result.phases[phase])}\n`;
    let violations = '';
    for (const v of result.violations ?? [])
      violations += `${violationName}{${l},pointer="${escapeLabel(v.pointer)}",expected="${escapeLabel(v.expected)}",observed="${escapeLabel(v.observed)}"} 1\n`;
    this.#lastProbe = [
      `probe_success{${l}} ${result.success ? '1' : '0'}\n`,
      `probe_duration_seconds{${l}} ${formatValue(result.durationSeconds)}\n`,
      `probe_http_status_code{${l}} ${formatValue(result.statusCode)}\n`,
      phases,
      `customer_api_last_probe_timestamp_seconds{${l}} ${formatValue(finishedAtMs / 1000)}\n`,
      `customer_api_undocumented_properties{${l}} ${formatValue(result.undocumentedProperties)}\n`,
      violations,
    ];
    this.probes += 1;
    if (result.reason) this.failures[reasonIndex.get(result.reason)!]! += 1;
    // The latency SLI is over successful probes only: a refused connection, a 5xx or a 429 answered in 20 ms is not a
    // fast probe, and a slot in which nothing was sent has no latency at all. probe_duration_seconds keeps every probe.
    if (result.success) {
      const value = result.durationSeconds;
      const bucket = probeDurationBuckets.findIndex((bound) => value <= bound);
      if (bucket >= 0) this.buckets[bucket]! += 1;
      this.sum += value;
      this.count += 1;
    }
    this.#encode();
  }

  /** Renders every family and encodes them into `bytes`, reusing it when the text fits. */
  #encode(): void {
    const l = this.labels;
    const texts = [...this.#lastProbe];
    texts.push(`customer_api_probes_total{${l}} ${this.probes}\n`);
    let failures = '';
    for (let i = 0; i < failureReasons.length; i++) failures += `customer_api_probe_failures_total{${l},reason="${failureReasons[i]!}"} ${this.failures[i]}\n`;
    texts.push(failures);
    let histogram = '';
    let cumulative = 0;
    for (let i = 0; i < probeDurationBuckets.length; i++) {
      cumulative += this.buckets[i]!;
      histogram += `customer_api_probe_duration_seconds_bucket{le="${probeDurationBuckets[i]}",${l}} ${cumulative}\n`;
    }
    histogram += `customer_api_probe_duration_seconds_bucket{le="+Inf",${l}} ${this.count}\n`;
    histogram += `customer_api_probe_duration_seconds_sum{${l}} ${formatValue(this.sum)}\n`;
    histogram += `customer_api_probe_duration_seconds_count{${l}} ${this.count}\n`;
    texts.push(histogram);
    // Encoded family by family into the pair's buffer. A write stops short of a character that does not fit, so a text
    // that ends within the last 4 bytes (the longest UTF-8 character) may be cut: then a bigger buffer, and again.
    for (;;) {
      const bytes = this.#bytes;
      let start = 0;
      for (let f = 0; f < texts.length; f++) {
        const end = start + bytes.write(texts[f]!, start, 'utf8');
        this.families[f] = bytes.subarray(start, end);
        start = end;
      }
      if (bytes.length - start >= maxUtf8CharBytes) return;
      const length = texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
      this.#bytes = Buffer.allocUnsafeSlow(length + (length >> 3) + maxUtf8CharBytes);
    }
  }
}

const maxUtf8CharBytes = 4;

/** The first counter family in pairFamilies: the ones before it are the last probe's gauges. */
const counterFamilies = 7;

const reasonIndex = new Map<string, number>(failureReasons.map((reason, index) => [reason, index]));

/** The per-pair series of scheduled mode, in configuration order. */
class ProbeSeriesTable {
  readonly #pairs: PairSeries[] = [];
  readonly #byKey = new Map<string, PairSeries>();
  /** Every family's `# HELP` and `# TYPE` lines, encoded once. */
  readonly #headers = pairFamilies.map(([name, type, help]) => Buffer.from(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`));

  add(target: string, operation: string): PairSeries {
    const key = `${target}\u0000${operation}`;
    let pair = this.#byKey.get(key);
    if (!pair) {
      pair = new PairSeries(target, operation);
      this.#pairs.push(pair);
      this.#byKey.set(key, pair);
    }
    return pair;
  }

  record(target: string, operation: string, result: ProbeResult, finishedAtMs: number): void {
    this.add(target, operation).record(result, finishedAtMs);
  }

  /** A reader of the families as the text format wants them (each family's HELP and TYPE, every sample, a blank line). */
  cursor(): TableCursor {
    return new TableCursor(this.#pairs, this.#headers);
  }
}

/** Where a scrape is in the table: the family, and the next pair (-1: the family's HELP and TYPE; pairs.length: its end). */
class TableCursor {
  #family = 0;
  #pair = -1;

  constructor(
    private readonly pairs: readonly PairSeries[],
    private readonly headers: readonly Buffer[],
  ) {}

  /**
   * The next chunk: as many whole blocks (one family's lines of one pair) as fit, copied into `out`; a block bigger
   * than `out` alone in a buffer of its own; undefined at the end.
   */
  next(out: Buffer): Buffer | undefined {
    const { pairs, headers } = this;
    let at = 0;
    while (this.#family < headers.length) {
      const block = this.#pair < 0 ? headers[this.#family]! : this.#pair < pairs.length ? pairs[this.#pair]!.families[this.#family]! : newline;
      if (at + block.length > out.length) {
        if (at > 0) break;
        this.#advance();
        return Buffer.from(block);
      }
      out.set(block, at);
      at += block.length;
      this.#advance();
    }
    return at > 0 ? out.subarray(0, at) : undefined;
  }

  #advance(): void {
    if (this.#pair < this.pairs.length) {
      this.#pair += 1;
      return;
    }
    this.#family += 1;
    this.#pair = -1;
  }
}

const emptyBuffer = Buffer.alloc(0);
const newline = Buffer.from('\n');

/** A sample value as the text format writes it. */
function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

function escapeHelp(value: string): string {
  return value.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
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
  if (result.violations && result.violations.length > 0) {
    const violation = new Gauge({
      name: violationName,
      help: lastProbeHelp.violation,
      labelNames: ['operation', 'target', 'pointer', 'expected', 'observed'],
      registers,
    });
    for (const v of result.violations) violation.set({ ...labels, ...v }, 1);
  }
  if (result.tls) {
    if (result.tls.earliestCertExpirySeconds !== undefined) {
      new Gauge({ name: certExpiryName, help: certExpiryHelp, labelNames: ['operation', 'target'], registers }).set(
        labels,
        result.tls.earliestCertExpirySeconds,
      );
    }
    new Gauge({ name: tlsVersionName, help: tlsVersionHelp, labelNames: ['operation', 'target', 'version'], registers }).set(
      { ...labels, version: result.tls.version },
      1,
    );
  }
  return registry;
}
