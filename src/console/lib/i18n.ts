import { createI18n } from 'vue-i18n';
import admin from '../pages/admin/messages';
import bureau from '../pages/bureau/messages';
import duty from '../pages/duty/messages';
import tickets from '../pages/tickets/messages';

/**
 * Chinese by default, English one click away. The shell's words are here; each area of the console keeps its
 * own in a file beside its pages (`{ 'zh-CN': {...}, en: {...} }` under a section of its name), merged below.
 */
const shell = {
  'zh-CN': {
    app: { title: '雪亮视频监控', signOut: '退出', language: 'English' },
    nav: {
      duty: '值班台',
      tickets: '工单',
      bureau: '全县概览',
      admin: '管理',
    },
    login: {
      title: '登录雪亮',
      username: '用户名',
      password: '密码',
      submit: '登录',
      failed: '用户名或密码错误',
    },
    common: { loading: '加载中…', empty: '暂无数据', error: '出错了：{message}', retry: '重试' },
  },
  en: {
    app: { title: 'Xueliang camera watch', signOut: 'Sign out', language: '中文' },
    nav: { duty: 'Duty desk', tickets: 'Tickets', bureau: 'County overview', admin: 'Admin' },
    login: {
      title: 'Sign in to Xueliang',
      username: 'User name',
      password: 'Password',
      submit: 'Sign in',
      failed: 'Wrong user name or password',
    },
    common: {
      loading: 'Loading…',
      empty: 'Nothing here',
      error: 'Something went wrong: {message}',
      retry: 'Retry',
    },
  },
};

const areas: Array<Record<'zh-CN' | 'en', Record<string, unknown>>> = [duty, tickets, bureau, admin];

const messages = {
  'zh-CN': Object.assign({}, shell['zh-CN'], ...areas.map((a) => a['zh-CN'])),
  en: Object.assign({}, shell.en, ...areas.map((a) => a.en)),
};

export type Locale = keyof typeof messages;

export const i18n = createI18n({
  legacy: false,
  locale: (localStorage.getItem('xl-locale') as Locale | null) ?? 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages,
});

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  localStorage.setItem('xl-locale', locale);
  document.documentElement.lang = locale;
}
