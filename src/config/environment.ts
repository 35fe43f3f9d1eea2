/**
 * Every environment variable portcullis reads, in one place. Each sits
 * between a command-line flag and the configuration file: flag > environment
 * > file > default. Secrets a configuration names (`keys.*.secret_env`,
 * `store.url_env`) and `--secret-env` are read from the environment the
 * command is handed, by the name given, and are not listed here.
 */
export const ENVIRONMENT_VARIABLES = {
  PORTCULLIS_STATE_DIR: 'state directory (state.dir; --state-dir wins)',
  PORTCULLIS_LOG_LEVEL: 'log level of serve (log.level)',
  PORTCULLIS_SERVER: 'server URL of agents, decisions (--server wins)',
  PORTCULLIS_TOKEN: 'bearer token of agents, decisions and review --from-decisions (--token wins)',
  OPA_BIN: 'an opa binary to prefer when its version matches the pin',
  REGAL_BIN: 'a Regal binary to prefer for review',
} as const;

export type EnvironmentVariable = keyof typeof ENVIRONMENT_VARIABLES;

/** The values of ENVIRONMENT_VARIABLES; an empty variable counts as unset. */
export type Environment = Readonly<Partial<Record<EnvironmentVariable, string>>>;

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const values: Partial<Record<EnvironmentVariable, string>> = {};
  for (const name of Object.keys(ENVIRONMENT_VARIABLES) as EnvironmentVariable[]) {
    const value = env[name];
    if (value) values[name] = value;
  }
  return Object.freeze(values);
}
