import { computed, onMounted, type Ref, reactive, ref, shallowRef, watch } from 'vue';
import { type FormErrors, placeError } from './admin-view';
import { get, type Page, type Query } from './api';
import { session } from './session';

/**
 * A page of an API list with its filters: `filters` are sent as the query (a change goes back to page 1,
 * text after a pause), `reload()` fetches again. `error` holds the last failure for the error state.
 */
export function usePagedList<T, F extends Query>(path: string | (() => string), filters: F, pageSize = 20) {
  const items = shallowRef<T[]>([]);
  const total = ref(0);
  const page = ref(1);
  const size = ref(pageSize);
  const loading = ref(true);
  const error = ref('');
  const query = reactive(filters) as F;
  let seq = 0;

  async function reload(): Promise<void> {
    const mine = ++seq;
    loading.value = true;
    error.value = '';
    try {
      const where = typeof path === 'string' ? path : path();
      const result = await get<Page<T>>(where, {
        ...query,
        limit: size.value,
        offset: (page.value - 1) * size.value,
      });
      if (mine !== seq) return;
      items.value = result.items;
      total.value = result.total;
    } catch (err) {
      if (mine !== seq) return;
      error.value = (err as Error).message;
      items.value = [];
      total.value = 0;
    } finally {
      if (mine === seq) loading.value = false;
    }
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  watch(
    () => ({ ...query }),
    () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        page.value = 1;
        void reload();
      }, 300);
    },
  );
  watch([page, size], () => void reload());
  onMounted(() => void reload());

  return { items, total, page, size, loading, error, query, reload };
}

export type PagedList<T> = ReturnType<typeof usePagedList<T, Query>>;

/**
 * A form's state for a dialog: the values, the API's errors placed on the fields they name, and `submit`,
 * which runs the call and tells whether it worked.
 */
export function useFormState<V extends object>(blank: () => V) {
  const values = reactive(blank()) as V;
  const errors = reactive<FormErrors>({ fields: {}, general: '' });
  const busy = ref(false);

  // a field the user changes loses the API's complaint about it
  watch(
    () => ({ ...values }) as Record<string, unknown>,
    (now, before) => {
      for (const key of Object.keys(errors.fields)) {
        if (now[key] !== before[key]) delete errors.fields[key];
      }
    },
  );

  function reset(from?: Partial<V>): void {
    Object.assign(values, blank(), from ?? {});
    clearErrors();
  }
  function clearErrors(): void {
    errors.fields = {};
    errors.general = '';
  }
  async function submit(run: () => Promise<unknown>): Promise<boolean> {
    busy.value = true;
    clearErrors();
    try {
      await run();
      return true;
    } catch (err) {
      const placed = placeError(err, Object.keys(values));
      errors.fields = placed.fields;
      errors.general = placed.general;
      return false;
    } finally {
      busy.value = false;
    }
  }
  return { values, errors, busy: busy as Ref<boolean>, reset, submit, clearErrors };
}

/** Whether the signed-in user may change what the admin pages show (the bureau only reads). */
export function useIsAdmin() {
  return computed(() => session.me?.role === 'admin');
}
