/**
 * V8's memory reducer shrinks the young generation once a process has idled for a few
 * seconds. A gateway idles between bursts, and every SSH packet and socket read allocates
 * short-lived buffers: a stream that starts after an idle spell then churns through
 * scavenges and costs about twice the CPU per GiB until the young generation has grown
 * back. A server that relays streams keeps its young generation instead; what this holds
 * is fixed (it does not grow with sessions).
 */
import v8 from 'node:v8';

export function keepYoungGenerationForStreams(): void {
  v8.setFlagsFromString('--no-memory-reducer');
}
