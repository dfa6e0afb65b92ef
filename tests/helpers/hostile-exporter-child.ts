// Child process for the hostile-target memory test: one exporter probing one target, so its RSS is the exporter's alone.
// Reads {baseUrl, customerId, settings} from EXPORTER_CHILD_SPEC and the token from EXPORTER_CHILD_TOKEN; prints {url}.
import { Secret } from '../../config/secret';
import type { ProbeSettings } from '../../monitors/exporter/config';
import { startExporter } from '../../monitors/exporter/server';

interface ChildSpec {
  baseUrl: string;
  customerId: string;
  settings: Partial<ProbeSettings>;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.EXPORTER_CHILD_SPEC ?? '{}') as ChildSpec;
  const token = new Secret(process.env.EXPORTER_CHILD_TOKEN ?? '');
  const exporter = await startExporter({
    targets: [{ name: 'default', baseUrl: spec.baseUrl, customerId: spec.customerId, tokenSource: { kind: 'value', token }, authScheme: 'Bearer' }],
    settings: spec.settings,
    port: 0,
    defaultMetrics: false,
    log: () => undefined,
  });
  process.stdout.write(`${JSON.stringify({ url: exporter.url })}\n`);
  const stop = (): void => {
    void exporter.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
