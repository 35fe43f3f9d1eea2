/**
 * Every environment variable portcullis reads, in one place. Each sits
 * between a command-line flag and the configuration file: flag > environment
 * > file > default. Secrets a configuration or flag names (`keys.*.secret_env`,
 * `store.url_env`, `bundles.oci.password_env`, `bundles.oci.token_env`,
 * `inventory.webhook.secret_env`,
 * `--secret-env`) are read from the environment the command is handed, by
 * the name given, and are not listed here.
 */
export const ENVIRONMENT_VARIABLES = {
  PORTCULLIS_STATE_DIR: 'state directory (state.dir; --state-dir wins)',
  PORTCULLIS_LOG_LEVEL: 'log level of serve (log.level)',
  PORTCULLIS_SERVER: 'server URL of agents, decisions (--server wins)',
  PORTCULLIS_TOKEN: 'bearer token of agents, decisions and review --from-decisions (--token wins)',
  PORTCULLIS_CLOCK_FILE: "a file serve reads the inventory's time from (tests and demonstrations)",
  PORTCULLIS_REGISTRY_USERNAME: 'registry user of push, pull and build --push (--username wins)',
  PORTCULLIS_REGISTRY_PASSWORD: 'registry password of push, pull and build --push (--password-stdin wins)',
  PORTCULLIS_REGISTRY_TOKEN: 'registry bearer token of push, pull and build --push',
  OPA_BIN: 'an opa binary to prefer when its version matches the pin',
  GATOR_BIN: 'a gator binary to prefer when its version matches the pin',
  REGAL_BIN: 'a Regal binary to prefer when its version matches the pin',
  HELM_BIN: 'a helm binary to prefer (the repository tests)',
  ORAS_BIN: 'an oras binary to prefer (the repository benchmarks)',
  XDG_CACHE_HOME: 'the per-user cache portcullis setup installs tools into ($XDG_CACHE_HOME/portcullis, else ~/.cache/portcullis)',
  DOCKER_CONFIG: 'the folder of the Docker config.json holding registry credentials (else ~/.docker)',
  HOME: 'the home folder: ~/.cache and ~/.docker',
  PATH: 'the last place the pinned tools are looked for',
  GITHUB_STEP_SUMMARY: 'check --output github: the file the job summary is appended to',
  GITHUB_SERVER_URL: 'push: the source annotation of the pushed bundle, with GITHUB_REPOSITORY',
  GITHUB_REPOSITORY: 'push: the source annotation of the pushed bundle, with GITHUB_SERVER_URL',
  CI_PROJECT_URL: 'push: the source annotation of the pushed bundle in GitLab CI',
} as const;

export type EnvironmentVariable = keyof typeof ENVIRONMENT_VARIABLES;

/** The values of ENVIRONMENT_VARIABLES; an empty variable counts as unset. */
export type Environment = Readonly<Partial<Record<EnvironmentVariable, string>>>;

export function readEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): Environment {
  const values: Partial<Record<EnvironmentVariable, string>> = {};
  for (const name of Object.keys(ENVIRONMENT_VARIABLES) as EnvironmentVariable[]) {
    const value = env[name];
    if (value) values[name] = value;
  }
  return Object.freeze(values);
}
