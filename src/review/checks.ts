import { capabilitiesPath, runOpa, type Toolchain } from '../compile/index.js';
import type { CheckResult, Problem } from './model.js';

interface OpaLocation {
  readonly file?: string;
  readonly row?: number;
}

/** `opa fmt --list`: every file it names would be reformatted. */
export async function fmtCheck(toolchain: Toolchain, root: string, dirs: readonly string[]): Promise<CheckResult> {
  const run = await runOpa(toolchain.opa, ['fmt', '--list', ...dirs], root);
  const files = run.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
  const problems: Problem[] = files.map((file) => ({ level: 'error', file, message: 'not formatted as opa fmt would (run opa fmt --write)' }));
  if (run.code !== 0 && files.length === 0) problems.push({ level: 'error', message: `opa fmt failed: ${firstLines(run.stderr)}` });
  const status = problems.length > 0 ? 'fail' : 'pass';
  return { name: 'fmt', status, summary: status === 'pass' ? 'all files formatted' : `${problems.length} file(s) not formatted`, problems };
}

/** `opa check --strict` against the Wasm capabilities, with file:line for each error. */
export async function strictCheck(toolchain: Toolchain, root: string, dirs: readonly string[]): Promise<CheckResult> {
  const run = await runOpa(toolchain.opa, ['check', '--strict', '--format', 'json', '--capabilities', capabilitiesPath(), ...dirs], root);
  if (run.code === 0) return { name: 'check', status: 'pass', summary: 'no errors', problems: [] };
  const problems = opaErrors(run.stdout || run.stderr);
  return { name: 'check', status: 'fail', summary: `${problems.length} error(s)`, problems };
}

interface OpaTestResult {
  readonly name: string;
  readonly package?: string;
  readonly fail?: boolean;
  readonly error?: { readonly message?: string };
  readonly location?: OpaLocation;
}

/** `opa test`: each failing or erroring test with the file:line of its rule. */
export async function testCheck(toolchain: Toolchain, root: string, dirs: readonly string[]): Promise<{ check: CheckResult; passed: number; failed: number }> {
  const run = await runOpa(toolchain.opa, ['test', '--format', 'json', ...dirs], root);
  let results: OpaTestResult[];
  try {
    results = JSON.parse(run.stdout) as OpaTestResult[];
  } catch {
    const problems = opaErrors(run.stderr || run.stdout);
    return { check: { name: 'test', status: 'fail', summary: 'opa test could not load the policies', problems }, passed: 0, failed: 0 };
  }
  const bad = results.filter((r) => r.fail || r.error);
  const problems: Problem[] = bad.map((r) => ({
    level: 'error',
    rule: `${r.package ?? 'data'}.${r.name}`,
    message: r.error?.message ? `${r.name}: ${r.error.message}` : `${r.name} failed`,
    ...location(r.location),
  }));
  const passed = results.length - bad.length;
  const summary = `${passed} passed, ${bad.length} failed`;
  const status = bad.length > 0 || run.code !== 0 || results.length === 0 ? 'fail' : 'pass';
  return { check: { name: 'test', status, summary: results.length === 0 ? 'no tests found' : summary, problems }, passed, failed: bad.length };
}

/** `opa test --coverage` percentage; undefined when tests fail (opa then prints no coverage report). */
export async function coverageOf(toolchain: Toolchain, root: string, dirs: readonly string[]): Promise<number | undefined> {
  const run = await runOpa(toolchain.opa, ['test', '--coverage', '--format', 'json', ...dirs], root);
  try {
    const report = JSON.parse(run.stdout) as { coverage?: number };
    return typeof report.coverage === 'number' ? Math.round(report.coverage * 100) / 100 : undefined;
  } catch {
    return undefined;
  }
}

/** opa's JSON error list ({errors: [{message, code, location}]}), else its text output as one problem. */
export function opaErrors(output: string): Problem[] {
  try {
    const parsed = JSON.parse(output) as { errors?: { message: string; code?: string; location?: OpaLocation }[] };
    const errors = parsed.errors ?? [];
    if (errors.length > 0) {
      return errors.map((e) => ({ level: 'error', message: e.code ? `${e.code}: ${e.message}` : e.message, ...location(e.location) }));
    }
  } catch {
    // Not JSON: opa printed text, handled below.
  }
  return [{ level: 'error', message: firstLines(output) }];
}

function location(loc: OpaLocation | undefined): { file?: string; line?: number } {
  return { ...(loc?.file ? { file: loc.file } : {}), ...(loc?.row ? { line: loc.row } : {}) };
}

function firstLines(text: string): string {
  return text.trim().split('\n').slice(0, 20).join('\n') || 'no output';
}
