import { DEFAULTS } from './defaults.js';

/** `ui:` in the serve configuration: the web console under /ui/. */
export interface UiFile {
  /** Serve the console (default true). */
  readonly enabled?: boolean;
  /** How long a console login lasts before the token is asked for again (default 480: eight hours). */
  readonly login_expiry_minutes?: number;
}

export interface UiConfig {
  readonly enabled: boolean;
  readonly loginExpiryMs: number;
}

export const uiSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    login_expiry_minutes: { type: 'integer', minimum: 1, maximum: 10_080 },
  },
} as const;

export function uiConfig(file: UiFile | undefined): UiConfig {
  return Object.freeze({
    enabled: file?.enabled ?? true,
    loginExpiryMs: (file?.login_expiry_minutes ?? DEFAULTS.uiLoginExpiryMinutes) * 60_000,
  });
}
