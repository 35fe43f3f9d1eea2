import { Command, CommanderError, Option } from 'commander';
import { EXIT, exitCodeFor, isAppError, messageOf, toolInfo } from '../core/index.js';
import { formats } from '../report/index.js';
import { registryOptions } from './registry.js';

type Action = () => Promise<number>;

/** The one search order of the pinned tools, as in src/compile/tools.ts (kept here so --help loads nothing). */
const TOOLS_HELP = `
Each pinned tool is the first of these whose version equals the pin (tools/<name>/go.mod):
  1. $OPA_BIN, $GATOR_BIN or $REGAL_BIN
  2. .tools/bin/<name> of a portcullis checkout (built by npm install there)
  3. the per-user cache: $XDG_CACHE_HOME/portcullis/tools/<name>/<version>/<name>,
     default ~/.cache/portcullis/tools/...; portcullis setup installs here
  4. <name> on PATH
`;
/** The options parameter of a command's implementation: commander hands options over untyped. */
type OptionsOf<F extends (...args: never[]) => unknown, I extends number> = Parameters<F>[I];

/** Builds the command tree; each command imports its implementation only when it runs. */
export function createProgram(run: (action: Action) => Promise<void>): Command {
  const program = new Command('portcullis')
    .description('Container-image policy as code: compile Rego to Wasm bundles, serve them to OPA agents, evaluate decisions.')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('doctor')
    .description(
      'Show the pinned tools (opa, gator, Regal: path, version, pin, the command that installs a missing one), the default bundle of check, Node and the state directory; exit 0 when the pinned opa is found, 3 when it is missing',
    )
    .option('--json', 'print the report as JSON')
    .addHelpText('after', TOOLS_HELP)
    .action((opts: OptionsOf<typeof import('./commands/doctor.js').doctor, 0>) => run(async () => (await import('./commands/doctor.js')).doctor(opts)));

  program
    .command('setup')
    .description(
      'Install the pinned opa, gator or Regal: one already found at the pinned version is kept, otherwise it is built with Go from its pinned module (shipped in tools/<name>/) into the per-user cache; never a prebuilt download. Exit 0 ready, 3 no Go or a failed build',
    )
    .argument('<tool...>', 'opa (build, check --policies, review), regal (review lint), gator (testing Gatekeeper manifests)')
    .addHelpText('after', TOOLS_HELP)
    .action((names: string[]) => run(async () => (await import('./commands/setup.js')).setup(names)));

  registryOptions(
    program
      .command('build')
      .description('Compile bundle definitions (bundles/*.yaml) to Wasm with opa and write <out>/<name>.tar.gz')
      .option('--bundles <dir>', 'folder of bundle definitions', 'bundles')
      .option('--out <dir>', 'output folder for built bundles', 'dist/bundles')
      .option('--json', 'print the results as JSON instead of a table')
      .option('--push <ref-prefix>', 'then push each bundle to an OCI registry as <ref-prefix>:<bundle name>, e.g. registry.example.com/policies')
      .option('--source <url>', 'with --push: the org.opencontainers.image.source annotation (default: the GitHub or GitLab CI repository)'),
  ).action((opts: OptionsOf<typeof import('./commands/build.js').build, 0>) =>
    run(async () => (await import('./commands/build.js')).build(opts, process.env, userAgent())),
  );

  program
    .command('serve')
    .description('Serve built bundles to OPA agents over HTTP (ETag/304), reloading rebuilt bundles without restart')
    .option('--config <file>', 'YAML configuration file (default: embedded defaults)')
    .option('--listen <host:port>', 'address to listen on (default 127.0.0.1:8480; port 0 picks a free port)')
    .option('--dir <dir>', 'folder of built bundles to serve (default dist/bundles; overrides an oci:// bundles.source)')
    .action((opts: OptionsOf<typeof import('./commands/serve.js').serve, 0>) =>
      run(async () => (await import('./commands/serve.js')).serve(opts, userAgent())),
    );

  program
    .command('eval')
    .description('Evaluate a bundle entrypoint in-process with opa-wasm and print {"result": ...}')
    .requiredOption('--bundle <file>', 'bundle archive (.tar.gz)')
    .requiredOption('--entrypoint <path>', 'entrypoint, e.g. portcullis/image/pinned/deny or data.portcullis.image.pinned.deny')
    .option('--input <file>', "input JSON file, or '-' for standard input")
    .action((opts: OptionsOf<typeof import('./commands/eval.js').evaluate, 0>) => run(async () => (await import('./commands/eval.js')).evaluate(opts)));

  const algorithms = 'RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, HS256, HS384, HS512';
  const collect = (value: string, previous: string[] = []) => [...previous, value];

  program
    .command('sign')
    .description('Sign a bundle the way OPA verifies it: one JWT in /.signatures.json listing every file')
    .argument('<bundle>', 'bundle archive (.tar.gz)')
    .requiredOption('--alg <alg>', `signing algorithm: ${algorithms}`)
    .option('--key <file>', 'PEM private key file (RS*, PS*, ES*)')
    .option('--secret-file <file>', 'file holding the HMAC secret (HS*)')
    .option('--secret-env <var>', 'environment variable holding the HMAC secret (HS*)')
    .option('--kid <id>', 'key id written to the JWT header (kid)')
    .option('--scope <scope>', 'scope claim; agents compare it exactly')
    .option('--exclude <glob>', 'leave matching files out of the signature (repeatable; agents need the same exclude_files)', collect)
    .option('-o, --output <file>', 'write the signed bundle here instead of replacing <bundle>')
    .action((bundle: string, opts: OptionsOf<typeof import('./commands/sign.js').sign, 1>) =>
      run(async () => (await import('./commands/sign.js')).sign(bundle, opts, process.env)),
    );

  /** The key flags of verify, shared with pull: `--alg` is required where verifying is the point of the command. */
  const verificationOptions = (command: Command, algRequired: boolean) => {
    const alg = `algorithm the key is trusted for (never taken from the token): ${algorithms}`;
    return (algRequired ? command.requiredOption('--alg <alg>', alg) : command.option('--alg <alg>', alg))
      .option('--key <file>', 'PEM public key, certificate or private key (RS*, PS*, ES*)')
      .option('--secret-file <file>', 'file holding the HMAC secret (HS*)')
      .option('--secret-env <var>', 'environment variable holding the HMAC secret (HS*)')
      .option(
        '--kid <id>',
        "the key's id; the token must name it (kid header or keyid claim). Without it the key is pinned, as with opa run --verification-key",
      )
      .option('--scope <scope>', 'expected scope')
      .option('--exclude <glob>', 'files not to verify, Go filepath.Match syntax (repeatable)', collect);
  };

  verificationOptions(
    program
      .command('verify')
      .description('Verify a bundle signature exactly as an OPA agent would; exit 0 valid, 1 invalid (with the reason), 2 usage error')
      .argument('<bundle>', 'bundle archive (.tar.gz)'),
    true,
  ).action((bundle: string, opts: OptionsOf<typeof import('./commands/verify.js').verify, 1>) =>
    run(async () => (await import('./commands/verify.js')).verify(bundle, opts, process.env)),
  );

  const keys = program.command('keys').description('Manage bundle signing keys');
  keys
    .command('generate')
    .description('Generate a signing key pair (private 0600, public 0644) or an HMAC secret (0600); never overwrites')
    .requiredOption('--alg <alg>', `algorithm: ${algorithms}`)
    .requiredOption('--out <dir>', 'folder to write the key files to')
    .option('--kid <id>', 'key id (default: derived from the public key)')
    .action((opts: OptionsOf<typeof import('./commands/keys.js').keysGenerate, 0>) => run(async () => (await import('./commands/keys.js')).keysGenerate(opts)));

  registryOptions(
    program
      .command('push')
      .description(
        'Push a bundle to an OCI registry as OPA agents load it (services.<name>.type: oci): the archive unchanged as the one tar+gzip layer; prints the manifest digest; exit 2 for a wrong reference, login or bundle, 3 when the registry fails',
      )
      .argument('<bundle>', 'bundle archive (.tar.gz); no tag moves unless it reads as an agent would load it')
      .argument('<ref...>', 'host[:port]/repository[:tag] (default tag latest); several tags at once, each moved only after every blob is in place')
      .option('--source <url>', 'org.opencontainers.image.source annotation (default: the GitHub or GitLab CI repository)')
      .option('--json', 'print the result as JSON'),
  ).action((bundle: string, refs: string[], opts: OptionsOf<typeof import('./commands/push.js').push, 2>) =>
    run(async () => (await import('./commands/push.js')).push(bundle, refs, opts, process.env, userAgent())),
  );

  verificationOptions(
    registryOptions(
      program
        .command('pull')
        .description(
          'Pull a bundle from an OCI registry as an OPA agent does (image indexes followed, every digest checked), verify its signature when --alg is given, then write it; exit 1 for an invalid signature, 2 for a wrong reference, login or artifact, 3 when the registry fails',
        )
        .argument('<ref>', 'host[:port]/repository[:tag][@digest] (default tag latest)')
        .option('-o, --output <file>', "where to write the bundle, '-' for standard output (default: the layer's title, else bundle.tar.gz)")
        .option('--json', 'print the result as JSON'),
    ),
    false,
  ).action((ref: string, opts: OptionsOf<typeof import('./commands/pull.js').pull, 1>) =>
    run(async () => (await import('./commands/pull.js')).pull(ref, opts, process.env, userAgent())),
  );

  const outputs = formats.map((f) => `${f.name} (${f.description})`).join('; ');
  program
    .command('check')
    .description(
      'Check scan reports, a Dockerfile and deployment context against the image policy; exit 0 allow, 1 deny, 2 input or usage error, 3 internal error',
    )
    .option(
      '--report <file>',
      "scan report (repeatable; reports of different images are decided per image): Trivy JSON (image, fs, k8s), Grype JSON, Trivy Operator reports, CycloneDX JSON or XML with vulnerabilities, or Trivy's or Grype's SARIF",
      collect,
    )
    .option('--format <format>', 'report format of every --report instead of detecting it (see docs/input-format.md)')
    .option('--dockerfile <file>', "the image's Dockerfile; findings point at its lines")
    .option('--manifest <file>', 'Kubernetes manifest or AdmissionReview that deploys the image (YAML or JSON)')
    .option('--metadata <file>', 'cluster metadata: namespace, labels, environment, cluster (YAML or JSON)')
    .option('--bundle <file>', 'policy bundle (default: dist/bundles/image-scan.tar.gz if built here, else the image-scan bundle shipped in the package)')
    .option('--policies <dir>', 'compile this folder of Rego policies with the pinned opa instead of using a bundle (see portcullis setup opa)')
    .option(
      '--data <file>',
      "settings (YAML or JSON) merged over the bundle's data.portcullis.scan.settings; with --policies the settings themselves (default: the image-scan bundle's)",
    )
    .addOption(new Option('-o, --output <format>', `output format: ${outputs}`).choices(formats.map((f) => f.name)).default('table'))
    .addOption(new Option('--fail-on <level>', 'deny: exit 1 on violations; warn: also on warnings').choices(['deny', 'warn']).default('deny'))
    .option('--now <rfc3339>', 'evaluation time for CVE ages and exception expiry (default: the current time)')
    .option('--strict', 'exit 2 when any report entry could not be fully read (no severity, no id, unknown status, unreadable fix) instead of warning')
    .option('--allow-empty', 'accept a report that names no scanned target and holds no finding (by default exit 2: it was not understood)')
    .option('--sarif-base <dir>', 'folder SARIF and annotation file paths are relative to (default: the working directory)')
    .action((opts: OptionsOf<typeof import('./commands/check.js').check, 0>) =>
      run(async () => (await import('./commands/check.js')).check(opts, packageVersion(), process.env)),
    );

  program
    .command('gatekeeper')
    .description('Generate Gatekeeper ConstraintTemplates, Constraints (from the policy settings) and the portcullis Provider')
    .option('--out <dir>', 'write one file per object under <dir>/{templates,constraints}/ and <dir>/provider.yaml (default: one YAML stream on stdout)')
    .option('--settings <file>', 'policy settings YAML (rules, images.mutable_tags, images.allowed_registries, environments)')
    .option('--provider-url <url>', 'https URL of the portcullis provider endpoint (default https://portcullis.portcullis.svc:8443/v1/gatekeeper/provider)')
    .option('--provider-name <name>', 'name of the Provider object', 'portcullis')
    .option('--ca-bundle <file>', 'PEM CA certificate that signed the portcullis serving certificate (the Provider caBundle)')
    .option('--timeout <seconds>', 'Provider timeout in seconds (default 3)')
    .option('--exclude-namespace <ns>', 'namespace no constraint applies to (repeatable; default kube-system, gatekeeper-system, portcullis)', collect)
    .option('--scan-verdict <action>', 'enforcementAction of the scan-verdict constraint: deny, warn, dryrun, or none to leave it out', 'deny')
    .option('--allow-unscanned', 'let the scan-verdict constraint admit images without a stored scan')
    .action((opts: OptionsOf<typeof import('./commands/gatekeeper.js').gatekeeper, 0>) =>
      run(async () => (await import('./commands/gatekeeper.js')).gatekeeper(opts)),
    );

  program
    .command('certs')
    .description('Make a private CA and a serving certificate for the portcullis Service (webhook and Gatekeeper provider TLS), with openssl')
    .requiredOption('--out <dir>', 'folder for ca.crt, ca.key, tls.crt, tls.key (never overwritten)')
    .option('--service <name>', 'Service name: the certificate covers name, name.ns, name.ns.svc and name.ns.svc.cluster.local')
    .option('--namespace <ns>', 'namespace of the Service', 'portcullis')
    .option('--dns <name>', 'extra DNS name (repeatable)', collect)
    .option('--days <n>', 'validity in days (default 365)')
    .option('--client <cn>', 'also issue client.crt/client.key with this common name, for mTLS clients')
    .action((opts: OptionsOf<typeof import('./commands/certs.js').certs, 0>) => run(async () => (await import('./commands/certs.js')).certs(opts)));

  const client = (command: Command, outputs = 'json | csv | table', output = 'table') =>
    command
      .option('--server <url>', 'portcullis server URL (default $PORTCULLIS_SERVER or http://127.0.0.1:8480)')
      .option('--token <token>', 'bearer token with the admin scope (default $PORTCULLIS_TOKEN)')
      .option('--ca <file>', 'CA certificate to trust for an https server')
      .option('-o, --output <format>', outputs, output);

  client(program.command('agents'))
    .description('List the agents that report status: id, OPA version, active revision per bundle, last request, last error (queries GET /v1/agents)')
    .action((opts: OptionsOf<typeof import('./commands/agents.js').agents, 0>) =>
      run(async () => (await import('./commands/agents.js')).agents(opts, process.env)),
    );

  client(program.command('decisions'))
    .description('Query stored decision logs, newest first (queries GET /v1/decisions); filters combine with AND')
    .option('--since <time>', 'only decisions at or after this RFC 3339 time')
    .option('--until <time>', 'only decisions at or before this RFC 3339 time')
    .option('--path <path>', 'decision path, e.g. portcullis/image/pinned/deny')
    .option('--result <json>', 'result equal to this JSON value (true, 3, \'"text"\', \'{"a":1}\')')
    .option('--revision <rev>', 'bundle revision the agent used')
    .option('--agent <id>', "agent id (labels.id) or the agent name of the agent's token")
    .option('--label <name=value>', 'agent label equality (repeatable)', collect)
    .option('--input <path=value>', 'input field equality, dotted path; value is JSON or else a string (repeatable)', collect)
    .option('--limit <n>', 'decisions per page (default 100, at most 1000)')
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--order <order>', 'desc (newest first, default) or asc')
    .option('--all', 'follow every page')
    .action((opts: OptionsOf<typeof import('./commands/decisions.js').decisions, 0>) =>
      run(async () => (await import('./commands/decisions.js')).decisions(opts, process.env)),
    );

  const inventory = program.command('inventory').description('The runtime inventory: what runs where (served by portcullis serve)');
  client(inventory.command('import'), 'table | json')
    .description(
      'Import what runs in one cluster (POST /v1/inventory): kubectl get namespaces,pods -A -o json, workload lists (Deployment, StatefulSet, DaemonSet, Job, CronJob) or kubectl get vulnerabilityreports -A -o json; a snapshot is complete for its cluster, what it misses is marked gone',
    )
    .argument('<file>', "the list as JSON, or '-' for standard input")
    .option('--cluster <name>', 'the cluster the list is from', 'default')
    .option('--new-cluster', 'register a cluster never seen before (an unknown name is refused otherwise, so a typo cannot duplicate a fleet)')
    .option('--allow-empty', 'accept a list without any workload: nothing runs in the cluster')
    .action((file: string, opts: OptionsOf<typeof import('./commands/inventory.js').inventoryImport, 1>) =>
      run(async () => (await import('./commands/inventory.js')).inventoryImport(file, opts, process.env)),
    );

  client(inventory.command('vulnerability'), 'table | json')
    .description('CVE-first (GET /v1/vulnerabilities/<id>): every image, namespace and workload a vulnerability affects, its fixed versions, when first seen')
    .argument('<id>', 'vulnerability id, e.g. CVE-2021-44228')
    .option('--state <state>', 'open,excepted (default), resolved, all, or a comma-separated list')
    .option('--limit <n>', 'entries per list (default and at most 1000)')
    .action((id: string, opts: OptionsOf<typeof import('./commands/inventory.js').vulnerability, 1>) =>
      run(async () => (await import('./commands/inventory.js')).vulnerability(id, opts, process.env)),
    );

  client(inventory.command('image'), 'table | json')
    .description(
      'Image-first (GET /v1/images/<digest>): its scans over time (with input warnings), its evaluations per namespace, where it runs and ran, its findings',
    )
    .argument('<digest>', 'image digest, sha256:...')
    .action((digest: string, opts: OptionsOf<typeof import('./commands/inventory.js').image, 1>) =>
      run(async () => (await import('./commands/inventory.js')).image(digest, opts, process.env)),
    );

  client(program.command('findings'), 'table | json | ndjson | csv')
    .description(
      "Current findings of running workloads (GET /v1/findings); filters combine with AND, e.g. --namespace 'prod*' --severity-at-least HIGH --age 30d --fixable",
    )
    .option('--cluster <glob>', 'cluster name')
    .option('--namespace <glob>', "namespace, e.g. 'prod*'")
    .option('--environment <env>', "the namespace's environment, e.g. prod")
    .option('--workload <glob>', "workload name, or Kind/name (e.g. 'Deployment/web*')")
    .option('--repository <glob>', "image repository, e.g. 'docker.io/library/*'")
    .option('--digest <digest>', 'image digest, sha256:...')
    .option('--rule <rule>', 'policy rule, e.g. vulnerability_severity, unresolved_digest, unscanned')
    .option('--severity-at-least <level>', 'CRITICAL, HIGH, MEDIUM, LOW, NEGLIGIBLE or UNKNOWN')
    .option('--id <id>', 'vulnerability id, e.g. CVE-2021-44228')
    .option('--package <glob>', 'package name')
    .option('--fixable', 'only findings with a fixed version')
    .option('--no-fixable', 'only findings without a fixed version')
    .option('--age <days>', "at least this old, e.g. 30d (since the CVE's publication, else since first seen)")
    .option('--first-seen-before <time>', 'first seen before this RFC 3339 time')
    .option('--first-seen-after <time>', 'first seen after this RFC 3339 time')
    .option('--enforcement <mode>', 'deny or warn')
    .option('--state <state>', 'open (default), resolved, excepted, all, or a comma-separated list')
    .option('--group-by <field>', 'count per cve, image, workload, namespace or package')
    .option('--sort <field>', 'severity (default), age, first_seen, namespace, workload, image, vulnerability or package')
    .option('--order <order>', 'asc or desc (default depends on --sort)')
    .option('--limit <n>', 'per page (default 100, at most 1000)')
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--all', 'follow every page')
    .option('--exact-total', 'count every match (by default the total stops at 10,000)')
    .action((opts: OptionsOf<typeof import('./commands/inventory.js').findings, 0>) =>
      run(async () => (await import('./commands/inventory.js')).findings(opts, process.env)),
    );

  client(program.command('reports'), 'yaml | json', 'yaml')
    .description('Policy reports for existing dashboards (GET /v1/reports/kubernetes): one per namespace, for kubectl apply -f -')
    .requiredOption('--format <format>', 'openreports (openreports.io/v1alpha1 Report) or policyreport (wgpolicyk8s.io/v1alpha2 PolicyReport)')
    .option('--namespace <glob>', 'only these namespaces')
    .option('--cluster <glob>', 'only this cluster')
    .option('--max-results <n>', 'results per report (default from the server, 1000)')
    .action((opts: OptionsOf<typeof import('./commands/inventory.js').reports, 0>) =>
      run(async () => (await import('./commands/inventory.js')).reports(opts, process.env)),
    );

  const store = (command: Command) =>
    command
      .option('--config <file>', 'serve configuration file naming the store (default: SQLite under the state directory)')
      .option('--state-dir <dir>', 'state directory (default .portcullis)');
  const tokens = program.command('tokens').description('Manage bearer tokens for agents and operators (stored hashed in the fleet store)');
  store(tokens.command('create'))
    .description('Create a token and print it once; scopes: bundles, status, logs (agents) and admin (fleet queries)')
    .requiredOption('--name <name>', 'a name to recognise the token by')
    .option('--agent <id>', 'the agent this token belongs to')
    .option('--group <group>', 'the agent group this token belongs to')
    .option('--bundles <names>', 'comma-separated bundles it may download, or * (default *)')
    .option('--scopes <scopes>', 'comma-separated APIs: bundles,status,logs,read (the web console),admin (default bundles,status,logs)')
    .option('--json', 'print the token and its metadata as JSON')
    .action((opts: OptionsOf<typeof import('./commands/tokens.js').tokensCreate, 0>) =>
      run(async () => (await import('./commands/tokens.js')).tokensCreate(opts)),
    );
  store(tokens.command('list'))
    .description('List tokens (metadata only; tokens cannot be shown again)')
    .option('--json', 'print as JSON')
    .action((opts: OptionsOf<typeof import('./commands/tokens.js').tokensList, 0>) => run(async () => (await import('./commands/tokens.js')).tokensList(opts)));
  store(tokens.command('revoke'))
    .description('Revoke a token; the server refuses it from the next request on')
    .argument('<id>', 'token id (from tokens list)')
    .action((id: string, opts: OptionsOf<typeof import('./commands/tokens.js').tokensRevoke, 1>) =>
      run(async () => (await import('./commands/tokens.js')).tokensRevoke(id, opts)),
    );

  program
    .command('review')
    .description(
      'Review a policy change: build --base and --head, run opa fmt/check/test and Regal on head, replay recorded inputs through both; exit 0 pass, 1 --fail-on triggered, 2 usage or input error, 3 toolchain error',
    )
    .requiredOption('--base <ref>', 'git ref of the policies before the change (e.g. origin/main)')
    .option('--head <ref>', 'git ref of the changed policies (default: the working tree as it is, uncommitted changes included)')
    .option(
      '--corpus <dir>',
      'folder of recorded inputs: report files, or one subfolder per case with reports, Dockerfile, manifest.yaml, metadata.yaml (repeatable)',
      collect,
    )
    .option('--from-decisions <source>', 'decision-log events to replay: a GET /v1/decisions URL, or a JSON / NDJSON file of events')
    .option('--token <token>', 'bearer token for a --from-decisions URL (default $PORTCULLIS_TOKEN)')
    .addOption(
      new Option('-o, --output <format>', 'markdown (a pull-request comment), json (full detail) or sarif (code scanning)')
        .choices(['markdown', 'json', 'sarif'])
        .default('markdown'),
    )
    .addOption(
      new Option('--fail-on <when>', 'exit 1 on: newly-denied inputs, any-change to a decision or finding, or never; failing head checks count unless never')
        .choices(['newly-denied', 'any-change', 'never'])
        .default('newly-denied'),
    )
    .option('--entrypoint <path>', 'decision entrypoint to replay (default portcullis/scan/decision)')
    .option('--bundles <dir>', 'bundle definitions folder, relative to the repository root (default bundles)')
    .option('--now <rfc3339>', 'time corpus inputs are normalized at (default: the current time); decision-log inputs keep their own')
    .option('--threads <n>', 'worker threads for the replay (default: one per core; 0 replays on the main thread)')
    .action((opts: OptionsOf<typeof import('./commands/review.js').review, 0>) =>
      run(async () => (await import('./commands/review.js')).review(opts, packageVersion(), process.env)),
    );

  return program;
}

/** Runs the CLI and sets the exit code: 0 pass, 1 policy or compile failure, 2 usage or input error, 3 internal or toolchain error. */
export async function main(argv: readonly string[]): Promise<void> {
  const run = async (action: Action) => {
    process.exitCode = await action();
  };
  tolerateClosedOutput();
  try {
    await createProgram(run).parseAsync([...argv]);
  } catch (err) {
    process.exitCode = report(err);
  }
}

/**
 * A reader that stops early (`portcullis check … | head`) is not a failure of
 * the command: it still finishes and exits with its own code, which a CI gate
 * reads. Any other write error leaves the output incomplete, so it is one.
 */
function tolerateClosedOutput(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') return;
    process.stderr.write(`portcullis: cannot write the output: ${err.message}\n`);
    process.exit(EXIT.INTERNAL);
  });
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
    return ok ? EXIT.OK : EXIT.USAGE;
  }
  const directory = directoryGivenAsFile(err);
  if (directory !== undefined) {
    const said = err instanceof Error && err.message.includes('is a directory');
    process.stderr.write(`portcullis: ${said ? err.message : `${directory}: is a directory, not a file`}\n`);
    return EXIT.USAGE;
  }
  if (isAppError(err)) {
    process.stderr.write(`portcullis: ${err.message}\n`);
    return exitCodeFor(err.code);
  }
  process.stderr.write(`portcullis: internal error: ${messageOf(err)}\n`);
  return EXIT.INTERNAL;
}

/**
 * An EISDIR anywhere in the cause chain (every command's file options end up
 * here when given a folder): the path when Node names it, else the message
 * of the error that wrapped it, which names the option and file.
 */
function directoryGivenAsFile(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth += 1) {
    const errno = e as NodeJS.ErrnoException;
    if (errno.code === 'EISDIR')
      return errno.path ?? (err instanceof Error ? err.message.replace(/:?\s*(cannot be read\b.*|EISDIR.*)$/s, '') : 'a file option');
  }
  return undefined;
}

function packageVersion(): string {
  return toolInfo().version;
}

function userAgent(): string {
  return `portcullis/${packageVersion()}`;
}
