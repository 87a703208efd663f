import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { CredentialKey } from '../config.js';

export interface CameraCredentials {
  username: string;
  password: string;
}

export interface SealedCredentials {
  keyId: string;
  cipher: Buffer;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM over the camera's credentials. The camera id is the additional authenticated data, so a
 * sealed blob copied onto another camera's row does not open. The first key of the ring seals; any key
 * of the ring opens, which is what lets the key be rotated without downtime (see `npm run rekey`).
 */
export class CredentialVault {
  private readonly keys: Map<string, Buffer>;
  private readonly current: CredentialKey;

  constructor(ring: CredentialKey[]) {
    const [first] = ring;
    if (!first) throw new Error('credential-vault: the key ring is empty');
    this.current = first;
    this.keys = new Map(ring.map((k) => [k.id, k.key]));
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  seal(cameraId: string, credentials: CameraCredentials): SealedCredentials {
    return this.sealValue(cameraId, { u: credentials.username, p: credentials.password });
  }

  open(cameraId: string, sealed: SealedCredentials): CameraCredentials {
    const parsed = this.openValue(cameraId, sealed, `camera ${cameraId}`) as { u: string; p: string };
    return { username: parsed.u, password: parsed.p };
  }

  /**
   * Seals any JSON value under `aad`, the string it is bound to (an object's id, with a prefix naming the kind
   * of object when ids of two kinds could meet). Cameras use their bare id, for compatibility with sealed rows.
   */
  sealValue(aad: string, value: unknown): SealedCredentials {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(aad));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return { keyId: this.current.id, cipher: Buffer.concat([iv, cipher.getAuthTag(), body]) };
  }

  /** Opens what sealValue sealed under the same `aad`; `what` names the object in error messages. */
  openValue(aad: string, sealed: SealedCredentials, what: string): unknown {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new Error(`credential-vault: ${what} is sealed with unknown key '${sealed.keyId}'`);
    const iv = sealed.cipher.subarray(0, IV_BYTES);
    const tag = sealed.cipher.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(tag);
    let plain: string;
    try {
      plain = Buffer.concat([
        decipher.update(sealed.cipher.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new Error(`credential-vault: credentials of ${what} fail authentication`);
    }
    return JSON.parse(plain);
  }
}
