// The installable deployment: the systemd unit passes `systemd-analyze verify` and is hardened; the Kubernetes manifests
// pass the Kubernetes and prometheus-operator schemas (kubernetes-models, offline) and agree with each other and with the
// rules; the PrometheusRule is the rule file, regenerated (never written twice).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { parseAllDocuments } from 'yaml';
import { prometheusRuleFile, renderPrometheusRule, rulesFile } from '../tools/kubernetes-rules';

const repoRoot = path.resolve(__dirname, '..');
const unitFile = path.join(repoRoot, 'deploy', 'systemd', 'customer-api-exporter.service');
const kubernetesDir = path.join(repoRoot, 'deploy', 'kubernetes');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  stringData?: Record<string, string>;
  data?: Record<string, string>;
}

/** The schema-checked model class of each kind we ship (Kubernetes' own OpenAPI schemas and prometheus-operator's CRDs, compiled into kubernetes-models). */
async function modelFor(manifest: Manifest): Promise<{ validate(): void }> {
  const key = `${manifest.apiVersion}/${manifest.kind}`;
  switch (key) {
    case 'apps/v1/Deployment':
      return new (await import('kubernetes-models/apps/v1/Deployment')).Deployment(manifest as never);
    case 'v1/Service':
      return new (await import('kubernetes-models/v1/Service')).Service(manifest);
    case 'v1/Secret':
      return new (await import('kubernetes-models/v1/Secret')).Secret(manifest);
    case 'monitoring.coreos.com/v1/ServiceMonitor':
      return new (await import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor')).ServiceMonitor(manifest as never);
    case 'monitoring.coreos.com/v1/PrometheusRule':
      return new (await import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule')).PrometheusRule(manifest as never);
    default:
      throw new Error(`no schema for ${key}: add its model here before shipping it`);
  }
}

function readManifests(): Map<string, Manifest> {
  const manifests = new Map<string, Manifest>();
  for (const file of fs.readdirSync(kubernetesDir).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml')) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(kubernetesDir, file), 'utf8'))) {
      expect(doc.errors, `${file} is valid YAML`).toEqual([]);
      const manifest = doc.toJS() as Manifest;
      manifests.set(manifest.kind, manifest);
    }
  }
  return manifests;
}

async function schemaProblem(manifest: Manifest): Promise<string | undefined> {
  try {
    (await modelFor(manifest)).validate();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** systemd-analyze verify on a unit file; its warnings (unknown keys, bad values) count as failures too. */
function verifyUnit(file: string): { status: number | null; output: string } {
  const run = spawnSync('systemd-analyze', ['verify', '--man=no', file], { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

function requireSystemdAnalyze(): void {
  const available = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!available && process.env.CI === 'true') throw new Error('systemd-analyze is missing: .ci/run must install systemd (CI may not skip this check)');
  test.skip(!available, 'systemd-analyze is not installed (apt-get install systemd); the unit is not verified here');
}

test.describe('systemd unit', () => {
  /** The unit with ExecStart's interpreter pointed at this machine's node (verify checks that the binary exists). */
  function unitForThisMachine(dir: string, text = fs.readFileSync(unitFile, 'utf8')): string {
    const file = path.join(dir, 'customer-api-exporter.service');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, text.replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `));
    return file;
  }

  test('systemd-analyze verify accepts deploy/systemd/customer-api-exporter.service without a warning', ({}, testInfo) => {
    requireSystemdAnalyze();
    const { status, output } = verifyUnit(unitForThisMachine(testInfo.outputPath('unit')));
    expect(status, `systemd-analyze verify failed:\n${output}`).toBe(0);
    expect(output, 'no warning (an unknown key or a bad value is only a warning to systemd)').toBe('');
  });

  test('systemd-analyze verify rejects a broken copy (the check can fail)', ({}, testInfo) => {
    requireSystemdAnalyze();
    const text = fs.readFileSync(unitFile, 'utf8');
    const misspelt = verifyUnit(unitForThisMachine(testInfo.outputPath('misspelt'), text.replace('ProtectSystem=strict', 'ProtectSytem=strict')));
    expect(misspelt.output, 'a misspelt hardening key is reported').toContain("Unknown key 'ProtectSytem'");
    const missing = verifyUnit(
      unitForThisMachine(testInfo.outputPath('missing'), text.replace(/^ExecStart=\/usr\/bin\/node /m, 'ExecStart=/nonexistent/node ')),
    );
    expect(missing.status, 'a missing interpreter fails').not.toBe(0);
  });

  test('the unit runs the compiled build with plain node, hardened, the token through LoadCredential, stopped gracefully', () => {
    const text = fs.readFileSync(unitFile, 'utf8');
    const directives = new Map<string, string[]>();
    for (const line of text.split('\n')) {
      const match = /^(\w+)=(.*)$/.exec(line);
      if (match) directives.set(match[1]!, [...(directives.get(match[1]!) ?? []), match[2]!]);
    }
    const one = (key: string): string | undefined => directives.get(key)?.[0];
    expect(one('ExecStart'), 'plain node on the compiled build (no npm, no tsx)').toMatch(/^\/usr\/bin\/node \S+\/dist\/monitors\/exporter\/cli\.js$/);
    expect(one('DynamicUser')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    for (const key of ['ProtectHome', 'PrivateTmp', 'NoNewPrivileges', 'PrivateDevices', 'RestrictSUIDSGID']) expect(one(key), key).toBe('yes');
    expect(one('CapabilityBoundingSet'), 'no capabilities').toBe('');
    const credential = /^(\w+):(\/\S+)$/.exec(one('LoadCredential') ?? '');
    expect(credential, 'LoadCredential=NAME:/path').not.toBeNull();
    expect(directives.get('Environment'), 'the exporter reads the credential from $CREDENTIALS_DIRECTORY').toContain(`API_TOKEN_FILE=%d/${credential?.[1]}`);
    expect(text, 'no token in the environment').not.toMatch(/^Environment=API_TOKEN=/m);
    expect(one('KillSignal'), 'SIGTERM, which the exporter handles').toBe('SIGTERM');
    expect(one('TimeoutStopSec'), 'a bounded stop').toMatch(/^\d+s$/);
  });
});

test.describe('Kubernetes manifests', () => {
  test('every manifest passes its Kubernetes or prometheus-operator schema', async () => {
    const manifests = readManifests();
    expect([...manifests.keys()].sort()).toEqual(['Deployment', 'PrometheusRule', 'Secret', 'Service', 'ServiceMonitor']);
    const problems: string[] = [];
    for (const manifest of manifests.values()) {
      const problem = await schemaProblem(manifest);
      if (problem) problems.push(`${manifest.kind}: ${problem}`);
    }
    expect(problems, 'schema violations').toEqual([]);
  });

  test('the schema check can fail: a broken Deployment and ServiceMonitor are rejected', async () => {
    const manifests = readManifests();
    const deployment = structuredClone(manifests.get('Deployment')!);
    const containers = (deployment.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec.containers;
    containers[0]!.ports = [{ name: 'metrics', containerPort: 'nine-four-six-four' }];
    expect(await schemaProblem(deployment), 'a string port').toMatch(/containerPort/);
    const monitor = structuredClone(manifests.get('ServiceMonitor')!);
    (monitor.spec as { endpoints: unknown }).endpoints = 'port 9464';
    expect(await schemaProblem(monitor), 'endpoints that are not a list').toMatch(/endpoints/);
  });

  test('the manifests agree: selectors, ports, the token file, the job name the rules read, no token shipped', () => {
    const manifests = readManifests();
    type PodSpec = {
      containers: Array<{
        env?: Array<{ name: string; value?: string }>;
        ports?: Array<{ name: string }>;
        volumeMounts?: Array<{ name: string; mountPath: string }>;
      }>;
      volumes?: Array<{ name: string; secret?: { secretName: string } }>;
    };
    const deployment = manifests.get('Deployment')!;
    const deploymentSpec = deployment.spec as {
      selector: { matchLabels: Record<string, string> };
      template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    };
    const pod = deploymentSpec.template.spec;
    const [container] = pod.containers;
    const service = manifests.get('Service')!;
    const serviceSpec = service.spec as { selector: Record<string, string>; ports: Array<{ name: string; targetPort: string }> };
    expect(deploymentSpec.template.metadata.labels, 'the Service selects the pods').toMatchObject(serviceSpec.selector);
    expect(deploymentSpec.template.metadata.labels).toMatchObject(deploymentSpec.selector.matchLabels);
    expect(
      container?.ports?.map((p) => p.name),
      "the Service's target port exists",
    ).toContain(serviceSpec.ports[0]?.targetPort);
    const monitorSpec = manifests.get('ServiceMonitor')!.spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: Array<{ port: string; relabelings?: Array<{ targetLabel: string }> }>;
    };
    expect(service.metadata.labels, 'the ServiceMonitor selects the Service').toMatchObject(monitorSpec.selector.matchLabels);
    expect(serviceSpec.ports.map((p) => p.name)).toContain(monitorSpec.endpoints[0]?.port);
    expect(
      monitorSpec.endpoints[0]?.relabelings?.map((r) => r.targetLabel),
      'each location labels its series',
    ).toContain('location');
    expect(service.metadata.name, 'the job label (the Service name) is the one the rules select').toBe('customer-api-exporter');
    expect(fs.readFileSync(rulesFile, 'utf8')).toContain('job="customer-api-exporter"');
    // The token: a file from the Secret, never an environment value.
    const tokenFile = container?.env?.find((e) => e.name === 'API_TOKEN_FILE')?.value ?? '';
    const secret = manifests.get('Secret')!;
    const volume = pod.volumes?.find((v) => v.secret?.secretName === secret.metadata.name);
    const mount = container?.volumeMounts?.find((m) => m.name === volume?.name);
    expect(mount, 'the Secret is mounted').toBeDefined();
    expect(tokenFile, 'API_TOKEN_FILE is a key of the mounted Secret').toBe(`${mount?.mountPath}/${Object.keys(secret.stringData ?? {})[0]}`);
    expect(
      container?.env?.some((e) => e.name === 'API_TOKEN'),
      'no token in the environment',
    ).toBe(false);
    expect(Object.values(secret.stringData ?? {}), 'the shipped Secret holds no token').toEqual(['']);
  });

  test('prometheusrule.yaml is the rule file, regenerated (run `npm run deploy:k8s` when this fails)', () => {
    expect(fs.readFileSync(prometheusRuleFile, 'utf8')).toBe(renderPrometheusRule(fs.readFileSync(rulesFile, 'utf8')));
  });
});
