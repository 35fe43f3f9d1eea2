import type { LoadedBundle } from '../bundle/index.js';
import { yaml } from '../core/index.js';
import type { RuleHelp } from '../report/index.js';

const RULE_HEAD = /^([a-z_][a-z0-9_]*)\s+(?:contains|if|:=|=|\{)/;

/**
 * Rule documentation from the `# METADATA` annotations of a bundle's Rego
 * sources: the block right above `<rule> contains …` documents that rule
 * (rule ids of findings are the names of the rules that produce them).
 * Unreadable annotations are skipped: they only cost a description.
 */
export function ruleHelpFromBundle(bundle: LoadedBundle): Record<string, RuleHelp> {
  const help: Record<string, RuleHelp> = {};
  for (const file of bundle.files) {
    if (!file.path.endsWith('.rego') || file.path.endsWith('_test.rego')) continue;
    const lines = Buffer.from(file.bytes).toString('utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() !== '# METADATA') return;
      const block: string[] = [];
      let j = i + 1;
      for (; j < lines.length && (lines[j] ?? '').startsWith('#'); j += 1) block.push((lines[j] ?? '').replace(/^# ?/, ''));
      const rule = RULE_HEAD.exec(lines[j] ?? '')?.[1];
      const entry = rule === undefined || rule in help ? undefined : annotation(block.join('\n'));
      if (rule !== undefined && entry) help[rule] = entry;
    });
  }
  return help;
}

function annotation(text: string): RuleHelp | undefined {
  try {
    const doc = yaml().parse(text) as { title?: unknown; description?: unknown; custom?: { practice?: unknown } } | null;
    if (typeof doc?.title !== 'string') return undefined;
    const description = typeof doc.description === 'string' ? doc.description.trim() : null;
    const practice = typeof doc.custom?.practice === 'string' ? doc.custom.practice : null;
    return { title: doc.title, description, practice };
  } catch {
    return undefined;
  }
}
