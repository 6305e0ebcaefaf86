/** The shapes the API returns (SPEC §3 resources and the operational records). */
export interface Target {
  kind: 'Target'; name: string; host: string; port: number; alternateHosts: string[]; via?: string; login?: string;
  credential?: string; hostKey?: string; labels: Record<string, string>; connectTimeout?: string; description?: string;
}
export interface Rule {
  targets?: string[]; labels?: Record<string, string>; access: string[]; logins?: string[]; ports?: number[];
  sourceCidrs?: string[]; mfa?: boolean; record?: boolean;
}
export interface Role {
  kind: 'Role'; name: string; description?: string; allow: Rule[]; admin?: 'none' | 'read' | 'write';
  requestable?: { maxDuration: string; approvers: string[] } | null;
}
export interface User { kind: 'User'; name: string; roles: string[]; keys: Array<string | { key: string; expires?: string }>; sourceCidrs: string[]; disabled: boolean }
export interface Credential { kind: 'Credential'; name: string; type: string; publicKey?: string; updatedAt: string }
export interface Session {
  id: string; node: string; kind: string; user: string; src: string; target: string; login: string | null; destination: string;
  startedAt: string; endedAt: string | null; reason: string | null; bytesUp: number; bytesDown: number;
}
export interface AuditEvent { seq: number; ts: string; id: string; type: string; user: string | null; src: string | null; [field: string]: unknown }
export interface Ban { address: string; until: string; reason: string; createdAt: string }
export interface Hop { hop: string; address: string; latencyMs: number; hostKey: string; loggedIn: boolean }
export interface TestResult {
  target: string; ok: boolean; hops: Hop[]; error?: string;
  failure?: { hop: string; address: string; why: string; mismatch?: { expected: string; presented: string } } | null;
}
export interface MyTarget { name: string; description: string | null; login: string | null; via: string | null; labels: Record<string, string>; access: string[] }
export interface AccessRequest {
  id: string; user: string; role: string; durationMs: number; reason: string;
  status: 'pending' | 'approved' | 'denied' | 'expired'; createdAt: string; lapsesAt: string;
  decidedBy: string | null; decidedAt: string | null; decisionReason: string | null; until: string | null;
  /** Whether the signed-in person may approve or deny it now. */
  mayDecide: boolean;
}
