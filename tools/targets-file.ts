// Many synthetic targets in one targets YAML (t00000…, customer cust_00000…), spread over a few loopback APIs: the scale bench's and the sharded demo's.
import fs from 'node:fs';

/** Writes `count` targets to `file`, target i on `apis[i % apis.length]`, each reading its token from the variable `tokenEnv`. */
export function writeSyntheticTargets(file: string, count: number, apis: ReadonlyArray<{ baseUrl: string }>, tokenEnv: string): void {
  const lines = ['targets:'];
  for (let i = 0; i < count; i++) {
    const id = String(i).padStart(5, '0');
    lines.push(`  - name: t${id}`, `    base_url: ${apis[i % apis.length]!.baseUrl}`, `    customer_id: cust_${id}`, `    token_env: ${tokenEnv}`);
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}
