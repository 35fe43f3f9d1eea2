import { isRootUser } from './derive.js';
import type { DockerfileCopy, DockerfileFacts, DockerfileInstruction, DockerfilePort, DockerfileStage, DockerfileVariable } from './dockerfile-types.js';

// Files whose presence in an image leaks credentials; a policy can add its own
// patterns, these make the common cases a one-line rule.
const SENSITIVE = [
  /(^|\/)\.ssh(\/|$)/,
  /(^|\/)id_(rsa|dsa|ecdsa|ed25519)(\.pub)?$/,
  /(^|\/)\.env(\.[\w.-]+)?$/,
  /(^|\/)\.aws(\/|$)/,
  /(^|\/)\.docker\/config\.json$/,
  /(^|\/)\.npmrc$/,
  /(^|\/)\.pypirc$/,
  /(^|\/)\.netrc$/,
  /(^|\/)\.git-credentials$/,
  /(^|\/)\.kube\/config$/,
  /\.(pem|key|p12|pfx|jks|keystore)$/i,
];

const URL = /^[a-z][a-z0-9+.-]*:\/\//i;

/** What the parser collected; ENV and ARG values come from dockerfile-ast, which handles quoting. */
export interface DockerfileParts {
  readonly stages: readonly DockerfileStage[];
  readonly instructions: readonly DockerfileInstruction[];
  readonly env: readonly DockerfileVariable[];
  readonly args: readonly DockerfileVariable[];
}

export function dockerfileFacts(path: string, parts: DockerfileParts): DockerfileFacts {
  const { stages, instructions } = parts;
  const final = stages.length === 0 ? null : stages.length - 1;
  const of = (keyword: string): DockerfileInstruction[] => instructions.filter((i) => i.instruction === keyword);
  const users = of('USER').map((i) => ({ line: i.line, stage: i.stage, user: i.args.trim() }));
  const finalUser = users.filter((u) => u.stage === final).at(-1)?.user ?? null;
  const copies = [...of('COPY'), ...of('ADD')].sort((a, b) => a.line - b.line).map(copyOf);
  return {
    path,
    stages,
    final_stage: final,
    base_image: final === null ? null : (stages[final]?.base ?? null),
    instructions,
    users,
    final_user: finalUser,
    runs_as_root: isRootUser(finalUser),
    exposed_ports: of('EXPOSE').flatMap(portsOf),
    adds_from_url: of('ADD').flatMap((i) =>
      sourcesOf(i)
        .filter((s) => URL.test(s))
        .map((url) => ({ line: i.line, stage: i.stage, url })),
    ),
    copies,
    env: parts.env,
    args: parts.args,
    runs: of('RUN').map((i) => ({ line: i.line, stage: i.stage, command: i.json ? i.arguments.join(' ') : i.args })),
    has_healthcheck: of('HEALTHCHECK').some((i) => i.stage === final && i.args.trim().toUpperCase() !== 'NONE'),
  };
}

function sourcesOf(i: DockerfileInstruction): string[] {
  return i.arguments.slice(0, -1);
}

function copyOf(i: DockerfileInstruction): DockerfileCopy {
  const sources = sourcesOf(i);
  return {
    line: i.line,
    stage: i.stage,
    instruction: i.instruction === 'ADD' ? 'ADD' : 'COPY',
    sources,
    destination: i.arguments.at(-1) ?? null,
    from: i.flags['from'] ?? null,
    sensitive_sources: sources.filter((s) => SENSITIVE.some((re) => re.test(s.replace(/\/+$/, '')))),
  };
}

function portsOf(i: DockerfileInstruction): DockerfilePort[] {
  return i.arguments.map((text) => {
    const [range = '', protocol = 'tcp'] = text.split('/');
    const [start, end] = range.split('-').map((p) => (/^\d+$/.test(p) ? Number(p) : null));
    return { line: i.line, stage: i.stage, text, port: start ?? null, end_port: end ?? start ?? null, protocol: protocol.toLowerCase() };
  });
}
