import { reactive } from 'vue';
import { ApiError, get, post } from './api';

export type Role = 'duty' | 'contractor' | 'bureau' | 'admin';

export interface Me {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  scopeDistrictId: string | null;
  contractorId: string | null;
}

/** Who is signed in (null: nobody), shared by every page. */
export const session = reactive<{ me: Me | null; checked: boolean }>({ me: null, checked: false });

export async function loadMe(): Promise<Me | null> {
  try {
    session.me = await get<Me>('/auth/me');
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) throw err;
    session.me = null;
  }
  session.checked = true;
  return session.me;
}

export async function signIn(username: string, password: string): Promise<Me> {
  const { user } = await post<{ user: Me }>('/auth/login', { username, password });
  session.me = user;
  session.checked = true;
  return user;
}

export async function signOut(): Promise<void> {
  await post('/auth/logout').catch(() => undefined);
  session.me = null;
}

/** Each role's first page. */
export function homeOf(role: Role): string {
  return { duty: '/duty', contractor: '/tickets', bureau: '/bureau', admin: '/admin' }[role];
}
