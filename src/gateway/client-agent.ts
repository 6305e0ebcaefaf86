/**
 * The connecting user's agent (`ssh -A`), reached over `auth-agent@openssh.com` channels
 * the gateway opens to their client (OpenSSH PROTOCOL.agent). ssh2's OpenSSH agent
 * speaks the agent protocol over whatever stream `getStream` gives it, so the gateway
 * can log into a `type: agent` target with the user's own key and relay the agent into
 * the target session where a rule allows it.
 */
import type { Duplex } from 'node:stream';
import ssh2, { type Connection } from 'ssh2';

/**
 * Agent channels open at once on one client connection. An agent conversation is short
 * (list keys, sign), so a handful is plenty; a target that opens more has to wait its turn.
 */
export const MAX_AGENT_CHANNELS = 8;

type OpenAgentChannel = (cb: (error: Error | undefined, channel: Duplex) => void) => void;

export class ClientAgent extends ssh2.OpenSSHAgent {
  #open = 0;
  readonly #connection: Connection;

  constructor(connection: Connection) {
    super('');
    this.#connection = connection;
  }

  override getStream(cb: (error: Error | undefined, stream?: Duplex) => void): void {
    if (this.#open >= MAX_AGENT_CHANNELS) return cb(new Error(`more than ${MAX_AGENT_CHANNELS} agent channels at once`));
    // ssh2's server opens this channel type only with patches/ (openssh_authAgent).
    const open = (this.#connection as unknown as { openssh_authAgent?: OpenAgentChannel }).openssh_authAgent;
    if (!open) return cb(new Error('this ssh2 cannot open agent channels'));
    this.#open += 1;
    try {
      open.call(this.#connection, (error, channel) => {
        if (error) {
          this.#open -= 1;
          return cb(error);
        }
        channel.once('close', () => { this.#open -= 1; });
        cb(undefined, channel);
      });
    } catch (error) {
      // The connection is already gone.
      this.#open -= 1;
      cb(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
