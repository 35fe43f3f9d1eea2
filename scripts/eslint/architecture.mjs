// The import-boundary rule: encodes the architecture of src/ so a change that
// breaks it fails `npm run lint`.
//   - Each folder of src/ is a domain whose index.ts is its only public face:
//     another folder imports `../<domain>/index.js`, never a file inside it.
//   - Dependencies point one way, from higher layers to lower ones:
//     cli > serve > domains > shared models > engine > core.
import { dirname, relative, resolve, sep } from 'node:path';

/** Lower numbers are lower layers; an import must point strictly downward. */
export const LAYERS = {
  core: 0,
  bundle: 1,
  compile: 2,
  evaluate: 2,
  sign: 2,
  store: 2,
  config: 3,
  inputs: 4,
  report: 4,
  check: 5,
  fleet: 5,
  review: 5,
  oci: 5,
  gatekeeper: 6,
  inventory: 7,
  console: 8,
  serve: 9,
  cli: 10,
};

function domainOf(srcRoot, file) {
  const rel = relative(srcRoot, file);
  if (rel.startsWith('..')) return undefined;
  const [first, ...rest] = rel.split(sep);
  return rest.length === 0 ? undefined : first;
}

export const architecture = {
  meta: {
    type: 'problem',
    docs: { description: 'imports between src/ domains go through index.ts and point to lower layers' },
    schema: [],
    messages: {
      unknown: 'src/{{domain}} has no layer: add it to LAYERS in scripts/eslint/architecture.mjs',
      barrel: "import {{target}} through its public face '{{barrel}}', not one of its files",
      upward:
        '{{from}} (layer {{fromLayer}}) must not depend on {{target}} (layer {{targetLayer}}): dependencies point from cli/serve to domains to engine to core',
    },
  },
  create(context) {
    const file = context.filename;
    const srcRoot = resolve(context.cwd, 'src');
    const from = domainOf(srcRoot, file);
    if (from === undefined) return {};
    return {
      ImportDeclaration(node) {
        check(node.source);
      },
      ExportNamedDeclaration(node) {
        if (node.source) check(node.source);
      },
      ExportAllDeclaration(node) {
        check(node.source);
      },
      ImportExpression(node) {
        if (node.source.type === 'Literal') check(node.source);
      },
    };

    function check(source) {
      const spec = String(source.value);
      if (!spec.startsWith('.')) return;
      const target = domainOf(srcRoot, resolve(dirname(file), spec));
      if (target === undefined || target === from) return;
      for (const domain of [from, target]) {
        if (!(domain in LAYERS)) context.report({ node: source, messageId: 'unknown', data: { domain } });
      }
      const targetPath = relative(resolve(srcRoot, target), resolve(dirname(file), spec));
      if (targetPath !== 'index.js') {
        context.report({ node: source, messageId: 'barrel', data: { target, barrel: `../${target}/index.js` } });
      }
      if (LAYERS[target] >= LAYERS[from]) {
        context.report({ node: source, messageId: 'upward', data: { from, target, fromLayer: LAYERS[from], targetLayer: LAYERS[target] } });
      }
    }
  },
};

export const plugin = { rules: { architecture } };
