import type { ImageRef } from './types.js';

/** Lines are 1-based, as SARIF regions and editors count them. */
export interface DockerfileInstruction {
  readonly line: number;
  readonly end_line: number;
  readonly stage: number;
  readonly instruction: string;
  readonly args: string;
  readonly arguments: readonly string[];
  readonly flags: Readonly<Record<string, string | null>>;
  readonly json: boolean;
}

export interface DockerfileStage {
  readonly index: number;
  readonly name: string | null;
  readonly line: number;
  readonly from: string;
  readonly base: ImageRef | null;
  readonly base_stage: string | null;
  readonly platform: string | null;
}

export interface DockerfileUser {
  readonly line: number;
  readonly stage: number;
  readonly user: string;
}

export interface DockerfilePort {
  readonly line: number;
  readonly stage: number;
  readonly text: string;
  readonly port: number | null;
  readonly end_port: number | null;
  readonly protocol: string;
}

export interface DockerfileCopy {
  readonly line: number;
  readonly stage: number;
  readonly instruction: 'ADD' | 'COPY';
  readonly sources: readonly string[];
  readonly destination: string | null;
  readonly from: string | null;
  readonly sensitive_sources: readonly string[];
}

export interface DockerfileUrl {
  readonly line: number;
  readonly stage: number;
  readonly url: string;
}

export interface DockerfileVariable {
  readonly line: number;
  readonly stage: number;
  readonly name: string;
  readonly value: string | null;
}

export interface DockerfileRun {
  readonly line: number;
  readonly stage: number;
  readonly command: string;
}

export interface DockerfileFacts {
  readonly path: string;
  readonly stages: readonly DockerfileStage[];
  readonly final_stage: number | null;
  readonly base_image: ImageRef | null;
  readonly instructions: readonly DockerfileInstruction[];
  readonly users: readonly DockerfileUser[];
  readonly final_user: string | null;
  readonly runs_as_root: boolean;
  readonly exposed_ports: readonly DockerfilePort[];
  readonly adds_from_url: readonly DockerfileUrl[];
  readonly copies: readonly DockerfileCopy[];
  readonly env: readonly DockerfileVariable[];
  readonly args: readonly DockerfileVariable[];
  readonly runs: readonly DockerfileRun[];
  readonly has_healthcheck: boolean;
}
