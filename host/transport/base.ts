// Shared plumbing for transport implementations: typed events and the
// "close exactly once" rule of the Transport contract (transport.ts).
// The session never imports this file.

import { EventEmitter } from 'node:events';
import { TransportError } from './errors.js';
import type { Transport, TransportCloseInfo, TransportEventName, TransportEvents } from './transport.js';

export abstract class TransportBase extends EventEmitter implements Transport {
  abstract readonly description: string;
  private state: 'new' | 'opening' | 'open' | 'closed' = 'new';
  private closeInfo: TransportCloseInfo | undefined;
  private closingHere = false;

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** How the link ended, once it has. */
  get closedWith(): TransportCloseInfo | undefined {
    return this.closeInfo;
  }

  override on<E extends TransportEventName>(event: E, listener: TransportEvents[E]): this {
    return super.on(event, listener);
  }

  override off<E extends TransportEventName>(event: E, listener: TransportEvents[E]): this {
    return super.off(event, listener);
  }

  async open(): Promise<void> {
    if (this.state === 'open' || this.state === 'opening') {
      throw new TransportError('already-open', `${this.description} is already open`);
    }
    if (this.state === 'closed') {
      throw new TransportError('not-open', `${this.description} was closed; a transport cannot be reopened, make a new one`);
    }
    this.state = 'opening';
    try {
      await this.doOpen();
    } catch (err) {
      this.state = 'closed';
      throw err;
    }
    if (this.state === 'opening') this.state = 'open';
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.state !== 'open') {
      throw new TransportError('not-open', `cannot write to ${this.description}: it is ${this.closeInfo?.disconnected ? 'disconnected' : 'not open'}`, {
        disconnected: this.closeInfo?.disconnected ?? false,
      });
    }
    await this.doWrite(bytes);
  }

  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'new') {
      this.state = 'closed';
      return;
    }
    this.state = 'closed';
    this.closingHere = true;
    await this.doClose();
    this.finish({ disconnected: false });
  }

  /** Implementations call this for every chunk read from the device. */
  protected deliver(chunk: Uint8Array): void {
    if (this.state === 'open' || this.state === 'opening') this.emit('data', chunk);
  }

  /** Implementations call this when the far end goes away (or from close()). Emits `close` once. */
  protected finish(info: TransportCloseInfo): void {
    if (this.closeInfo) return;
    this.state = 'closed';
    // Whatever the OS reports while we close it ourselves is not a disconnect.
    this.closeInfo = this.closingHere ? { disconnected: false } : info;
    this.emit('close', info);
  }

  protected abstract doOpen(): Promise<void>;
  protected abstract doWrite(bytes: Uint8Array): Promise<void>;
  /** Stop the link; finish() is called by close() afterwards. */
  protected abstract doClose(): Promise<void>;
}
