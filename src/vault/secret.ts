import { inspect } from 'node:util';

const REDACTED = '[secret]';

/** Holds a secret so that printing, logging or serialising it never shows the value. */
export class Secret<T = Buffer> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  /** The value itself; call only where the secret is used (a cipher, an SSH handshake). */
  reveal(): T {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}
