// A lock between the self-tests' worker processes: a file created exclusively (O_EXCL), holding its owner's pid.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `work` holding `lockFile`; anyone else asking for the same file waits until it is released. A lock whose owner
 * has died (a worker killed at a test's timeout) is taken over rather than waited on for ever.
 */
export async function withFileLock<T>(lockFile: string, work: () => Promise<T> | T): Promise<T> {
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let owner: number;
    try {
      owner = Number(fs.readFileSync(lockFile, 'utf8'));
    } catch {
      continue; // released between the two calls
    }
    // An empty file is an owner between creating it and writing its pid: wait for it like any other.
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && !alive(owner)) {
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    await sleep(200);
  }
  try {
    return await work();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}
