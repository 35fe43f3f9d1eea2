import { yaml } from './lazy.js';
import { AppError, type ErrorCode } from './errors.js';

/** Parses YAML (or JSON), rejecting documents with errors or warnings, and names the file and line on failure. */
export function parseYamlStrict(text: string, source: string, code: ErrorCode = 'INPUT_INVALID'): unknown {
  const doc = yaml().parseDocument(text, { prettyErrors: false, uniqueKeys: true, logLevel: 'silent' });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const offset = problem.pos[0];
    const line = Number.isInteger(offset) ? text.slice(0, offset).split('\n').length : undefined;
    const where = line === undefined ? '' : ` at line ${line}`;
    throw new AppError(code, `${source}: invalid YAML${where}: ${problem.message.split('\n')[0]}`, {
      details: [{ file: source, message: problem.message, ...(line === undefined ? {} : { line }) }],
    });
  }
  return doc.toJS({ maxAliasCount: 100 });
}
