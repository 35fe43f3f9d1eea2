// A real browser for the console's tests: Debian's chromium driven by
// playwright-core, and axe-core from node_modules. A missing chromium fails
// the test (CI installs it, see .ci/run); it is never a skip.
import { accessSync, constants, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** $CHROMIUM_BIN, else chromium (or chromium-browser) on PATH. */
export function chromiumPath(): string {
  const explicit = process.env['CHROMIUM_BIN'];
  const candidates = explicit
    ? [explicit]
    : (process.env['PATH'] ?? '').split(delimiter).flatMap((dir) => ['chromium', 'chromium-browser'].map((name) => join(dir, name)));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here; try the next
    }
  }
  throw new Error(
    `chromium not found (${explicit ? `CHROMIUM_BIN=${explicit}` : 'on PATH'}): install Debian's chromium (apt-get install chromium), as .ci/run does`,
  );
}

export async function launchChromium(): Promise<Browser> {
  // Root in a container has no user namespace for chromium's sandbox.
  return chromium.launch({ executablePath: chromiumPath(), args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

/** Runs axe-core in the page (through the debugging protocol, so the page's CSP stays in force) and returns its violations. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
}
