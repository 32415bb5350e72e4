import type { Logger } from 'pino';
import type { KubeClient } from './kube-client.js';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string };
}

/** Records core/v1 Events on an object (what `kubectl describe` lists); failures are logged, never thrown. */
export class EventRecorder {
  constructor(
    private readonly client: KubeClient,
    private readonly component: string,
    private readonly instance: string,
    private readonly log: Logger,
  ) {}

  async record(
    target: EventTarget,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    const now = new Date().toISOString();
    const namespace = target.metadata.namespace ?? 'default';
    try {
      await this.client.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: `${target.metadata.name}.${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`,
          namespace,
        },
        involvedObject: {
          apiVersion: target.apiVersion,
          kind: target.kind,
          name: target.metadata.name,
          namespace,
          uid: target.metadata.uid,
        },
        reason,
        message: message.slice(0, 1024),
        type,
        source: { component: this.component },
        reportingComponent: this.component,
        reportingInstance: this.instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      } as never);
    } catch (err) {
      this.log.warn({ err, reason }, 'could not record an event');
    }
  }
}
