import { loadConfig } from '../../config/index.js';
import { AppError, EXIT } from '../../core/index.js';
import { mintToken, openStore, TOKEN_SCOPES, type Store, type TokenRecord, type TokenScope } from '../../store/index.js';
import { renderTable } from '../../report/index.js';

export interface StoreOptions {
  readonly config?: string;
  readonly stateDir?: string;
}

export interface TokensCreateOptions extends StoreOptions {
  readonly name: string;
  readonly agent?: string;
  readonly group?: string;
  readonly bundles?: string;
  readonly scopes?: string;
  readonly json?: boolean;
}

/** The store the server would open with the same configuration, so tokens land where `serve` reads them. */
async function withStore<T>(options: StoreOptions, work: (store: Store) => Promise<T>): Promise<T> {
  const config = await loadConfig(options.config, { stateDir: options.stateDir });
  const store = await openStore(config.store);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function list(value: string | undefined, fallback: readonly string[]): string[] {
  const items = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length ? items : [...fallback];
}

/** Creates a token and prints it once; only its SHA-256 is stored. */
export async function tokensCreate(options: TokensCreateOptions): Promise<number> {
  if (options.agent !== undefined && options.group !== undefined) throw new AppError('USAGE', 'give --agent or --group, not both');
  const scopes = list(options.scopes, ['bundles', 'status', 'logs']);
  const unknown = scopes.filter((s) => !TOKEN_SCOPES.includes(s as TokenScope));
  if (unknown.length) throw new AppError('USAGE', `unknown scope '${unknown[0]}'; scopes are ${TOKEN_SCOPES.join(', ')}`);
  const { token, record } = mintToken({
    name: options.name,
    bundles: list(options.bundles, ['*']),
    scopes: scopes as TokenScope[],
    ...(options.agent === undefined ? {} : { agent: options.agent }),
    ...(options.group === undefined ? {} : { group: options.group }),
  });
  await withStore(options, (store) => store.createToken(record));
  if (options.json) process.stdout.write(`${JSON.stringify({ ...describe(record), token })}\n`);
  else
    process.stdout.write(
      `id:     ${record.id}\nname:   ${record.name}\ntoken:  ${token}\n(the token is shown only now; store it as the agent's bearer token)\n`,
    );
  return EXIT.OK;
}

export async function tokensList(options: StoreOptions & { readonly json?: boolean }): Promise<number> {
  const tokens = await withStore(options, (store) => store.listTokens());
  if (options.json) {
    process.stdout.write(`${JSON.stringify(tokens.map(describe), null, 2)}\n`);
    return EXIT.OK;
  }
  const rows = tokens.map((t) => [
    t.id,
    t.name,
    t.agent ?? (t.group ? `group:${t.group}` : ''),
    t.bundles.join(','),
    t.scopes.join(','),
    t.createdAt.toISOString(),
    t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active',
  ]);
  process.stdout.write(`${renderTable(['id', 'name', 'agent', 'bundles', 'scopes', 'created', 'state'], rows)}\n`);
  return EXIT.OK;
}

export async function tokensRevoke(id: string, options: StoreOptions): Promise<number> {
  const revoked = await withStore(options, (store) => store.revokeToken(id, new Date()));
  if (!revoked) throw new AppError('TOKEN_NOT_FOUND', `no active token with id '${id}' (see portcullis tokens list)`);
  process.stdout.write(`revoked ${id}\n`);
  return EXIT.OK;
}

/** Metadata only: never the hash, never the token. */
function describe(t: TokenRecord): Record<string, unknown> {
  return {
    id: t.id,
    name: t.name,
    ...(t.agent === undefined ? {} : { agent: t.agent }),
    ...(t.group === undefined ? {} : { group: t.group }),
    bundles: t.bundles,
    scopes: t.scopes,
    created_at: t.createdAt.toISOString(),
    ...(t.revokedAt ? { revoked_at: t.revokedAt.toISOString() } : {}),
  };
}
