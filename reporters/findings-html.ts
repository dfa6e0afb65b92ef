// Puts the run's findings at the top of Playwright's HTML report, before its list of tests: listed after the html reporter.
import fs from 'node:fs';
import path from 'node:path';
import type { Reporter } from '@playwright/test/reporter';
import { findingsSection, injectFindings } from './findings-section';

/** The reports folder: drift.json is read from it and html/index.html rewritten in it. */
interface FindingsHtmlOptions {
  outputDir: string;
}

export default class FindingsHtmlReporter implements Reporter {
  readonly #outputDir: string;

  constructor(options: FindingsHtmlOptions) {
    this.#outputDir = options.outputDir;
  }

  printsToStdio(): boolean {
    return false;
  }

  onEnd(): void {
    const driftFile = path.join(this.#outputDir, 'drift.json');
    const indexFile = path.join(this.#outputDir, 'html', 'index.html');
    if (!fs.existsSync(driftFile) || !fs.existsSync(indexFile)) return;
    const drift = JSON.parse(fs.readFileSync(driftFile, 'utf8')) as { headline?: unknown; findings?: unknown };
    fs.writeFileSync(indexFile, injectFindings(fs.readFileSync(indexFile, 'utf8'), findingsSection(drift)));
  }
}
