import { ElMessage, ElMessageBox } from 'element-plus';
import { type Ref, ref } from 'vue';
import { useI18n } from 'vue-i18n';
import { del } from './api';

/**
 * What every admin list page does around its edit dialog: open it on an item (or on nothing, to create),
 * say "saved" and reload the list after a save, and remove an item after asking.
 */
export function useEditor<T>(reload: () => Promise<void>) {
  const { t } = useI18n();
  const editing = ref(null) as Ref<T | null>;
  const open = ref(false);

  function edit(item: T | null) {
    editing.value = item;
    open.value = true;
  }

  function saved() {
    ElMessage.success(t('admin.form.saved'));
    void reload();
  }

  /** Asks `question`; on yes, DELETEs `path` and reloads; the API's refusal is shown as a message. */
  async function removeAt(path: string, question: string, confirmText: string) {
    const go = await ElMessageBox.confirm(question, {
      type: 'warning',
      confirmButtonText: confirmText,
      cancelButtonText: t('admin.form.cancel'),
    }).catch(() => false);
    if (!go) return;
    try {
      await del(path);
      void reload();
    } catch (err) {
      ElMessage.error((err as Error).message);
    }
  }

  return { editing, open, edit, saved, removeAt };
}
