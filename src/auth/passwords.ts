import argon2 from 'argon2';

export const MIN_PASSWORD_LENGTH = 10;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

// Verifying against a fixed hash when the user does not exist keeps log-in timing the same either way.
let decoy: Promise<string> | undefined;
export async function burnVerify(password: string): Promise<void> {
  decoy ??= hashPassword('decoy-password-for-unknown-users');
  await verifyPassword(await decoy, password);
}
