import type { ImageRef } from './types.js';

export type ContainerType = 'container' | 'initContainer' | 'ephemeralContainer';

/** Pod-level securityContext values are folded in, so a rule reads one place. */
export interface ContainerSecurity {
  readonly run_as_user: number | null;
  readonly run_as_non_root: boolean | null;
  readonly privileged: boolean | null;
  readonly allow_privilege_escalation: boolean | null;
}

export interface ContainerFacts {
  readonly name: string;
  readonly type: ContainerType;
  readonly image: string;
  readonly image_ref: ImageRef | null;
  readonly security_context: ContainerSecurity;
}

export interface Workload {
  readonly source: 'manifest' | 'admission';
  readonly file: string;
  readonly kind: string;
  readonly api_version: string | null;
  readonly name: string | null;
  readonly namespace: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly operation: string | null;
  readonly username: string | null;
  readonly containers: readonly ContainerFacts[];
}
