import { createHash } from 'node:crypto';
import type { Connection } from 'mongoose';
import { isDuplicateKey } from '../duplicate-keys.js';
import { newWebhookSecret } from './signature.js';
import {
  webhookSecretModel,
  type WebhookSecretDoc,
  type WebhookSecretModel,
} from './webhook-secret.model.js';

/** What the API shows about a secret without revealing it. */
export interface WebhookSecretInfo {
  createdAt: string;
  /** First 12 hex digits of SHA-256 of the secret: tells which one a receiver holds. */
  fingerprint: string;
  /** While set, deliveries are signed with the previous secret as well. */
  previousExpiresAt: string | null;
}

/** The secret's fingerprint (see {@link WebhookSecretInfo}). */
export const secretFingerprint = (secret: string) =>
  createHash('sha256').update(secret).digest('hex').slice(0, 12);

const infoOf = (doc: WebhookSecretDoc, now: Date): WebhookSecretInfo => ({
  createdAt: doc.createdAt.toISOString(),
  fingerprint: secretFingerprint(doc.secret),
  previousExpiresAt:
    doc.previous && doc.previousExpiresAt && doc.previousExpiresAt > now
      ? doc.previousExpiresAt.toISOString()
      : null,
});

/** Per-owner webhook signing secrets: create, rotate (with a grace period), read, delete. */
export class WebhookSecretRepository {
  readonly model: WebhookSecretModel;

  constructor(conn: Connection) {
    this.model = webhookSecretModel(conn);
  }

  /** Creates the owner's secret; null when one exists already (rotate it instead). */
  async create(owner: string): Promise<{ secret: string; info: WebhookSecretInfo } | null> {
    const now = new Date();
    const doc: WebhookSecretDoc = {
      _id: owner,
      secret: newWebhookSecret(),
      createdAt: now,
      previous: null,
      previousExpiresAt: null,
      updatedAt: now,
    };
    try {
      await this.model.create(doc);
    } catch (err) {
      if (isDuplicateKey(err)) return null;
      throw err;
    }
    return { secret: doc.secret, info: infoOf(doc, now) };
  }

  /**
   * Replaces the owner's secret; the old one keeps signing for `graceMs` so receivers can
   * switch over. Null when the owner has no secret.
   */
  async rotate(
    owner: string,
    graceMs: number,
  ): Promise<{ secret: string; info: WebhookSecretInfo } | null> {
    const current = await this.model.findById(owner).lean<WebhookSecretDoc>();
    if (!current) return null;
    const now = new Date();
    const next: WebhookSecretDoc = {
      ...current,
      secret: newWebhookSecret(),
      createdAt: now,
      previous: graceMs > 0 ? current.secret : null,
      previousExpiresAt: graceMs > 0 ? new Date(now.getTime() + graceMs) : null,
      updatedAt: now,
    };
    // n.b. conditional on the secret read: of two racing rotations one wins, the other retries
    const res = await this.model.updateOne(
      { _id: owner, secret: current.secret },
      {
        $set: {
          secret: next.secret,
          createdAt: now,
          previous: next.previous,
          previousExpiresAt: next.previousExpiresAt,
          updatedAt: now,
        },
      },
    );
    if (res.modifiedCount !== 1) return this.rotate(owner, graceMs);
    return { secret: next.secret, info: infoOf(next, now) };
  }

  async info(owner: string): Promise<WebhookSecretInfo | null> {
    const doc = await this.model.findById(owner).lean<WebhookSecretDoc>();
    return doc ? infoOf(doc, new Date()) : null;
  }

  /** The secrets to sign with now: current first, then the previous one during its grace. */
  async signingSecrets(owner: string, now = new Date()): Promise<string[]> {
    const doc = await this.model.findById(owner).lean<WebhookSecretDoc>();
    if (!doc) return [];
    const out = [doc.secret];
    if (doc.previous && doc.previousExpiresAt && doc.previousExpiresAt > now)
      out.push(doc.previous);
    return out;
  }

  async exists(owner: string): Promise<boolean> {
    return (await this.model.countDocuments({ _id: owner })) > 0;
  }

  /** Deletes the owner's secrets; false when there were none. */
  async delete(owner: string): Promise<boolean> {
    return (await this.model.deleteOne({ _id: owner })).deletedCount === 1;
  }
}
