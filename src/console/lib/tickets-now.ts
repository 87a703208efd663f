import { onBeforeUnmount, onMounted, ref } from 'vue';

/** The current time in ms, ticking once a second while the component is mounted (for live countdowns). */
export function useNow(periodMs = 1000) {
  const now = ref(Date.now());
  let timer: ReturnType<typeof setInterval> | undefined;
  onMounted(() => {
    timer = setInterval(() => {
      now.value = Date.now();
    }, periodMs);
  });
  onBeforeUnmount(() => clearInterval(timer));
  return now;
}
