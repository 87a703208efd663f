import { reactive } from 'vue';
import { get } from './api';

/** The kinds of object the admin pages show by name where the API gives an id. */
export type RefKind = 'districts' | 'cameras' | 'contractors' | 'users' | 'staff';

interface Named {
  id: string;
  name?: string;
  displayName?: string;
  username?: string;
}

/** id → name, per kind, shared by every page; '' while loading, null when it cannot be read. */
const names = reactive<Record<string, string | null>>({});
const pending = new Set<string>();

export function labelOf(item: Named): string {
  if (item.displayName && item.username) return `${item.displayName} (${item.username})`;
  return item.name ?? item.displayName ?? item.username ?? item.id;
}

export function remember(kind: RefKind, item: Named): void {
  names[`${kind}:${item.id}`] = labelOf(item);
}

export function nameOf(kind: RefKind, id: string | null | undefined): string | null | undefined {
  if (!id) return null;
  const key = `${kind}:${id}`;
  if (!(key in names) && !pending.has(key)) {
    pending.add(key);
    get<Named>(`/${kind}/${id}`)
      .then((item) => remember(kind, item))
      .catch(() => {
        names[key] = null;
      })
      .finally(() => pending.delete(key));
  }
  return names[key];
}
