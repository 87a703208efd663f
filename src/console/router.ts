import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import { homeOf, loadMe, type Role, session } from './lib/session';

declare module 'vue-router' {
  interface RouteMeta {
    /** roles that may open the page (none: anyone signed in) */
    roles?: Role[];
    public?: boolean;
  }
}

const routes: RouteRecordRaw[] = [
  { path: '/login', component: () => import('./pages/LoginPage.vue'), meta: { public: true } },
  {
    path: '/duty',
    component: () => import('./pages/DutyConsole.vue'),
    meta: { roles: ['duty', 'bureau', 'admin'] },
  },
  {
    path: '/tickets',
    component: () => import('./pages/ContractorBoard.vue'),
    meta: { roles: ['contractor', 'bureau', 'admin'] },
  },
  {
    path: '/bureau',
    component: () => import('./pages/BureauDashboard.vue'),
    meta: { roles: ['bureau', 'admin'] },
  },
  { path: '/admin', component: () => import('./pages/AdminHome.vue'), meta: { roles: ['admin'] } },
  { path: '/:rest(.*)*', redirect: '/' },
];

// Hash history: the API owns every path on the server; the console lives at / and its pages after the '#'.
export const router = createRouter({ history: createWebHashHistory(), routes });

router.beforeEach(async (to) => {
  if (!session.checked) await loadMe().catch(() => null);
  const me = session.me;
  if (to.meta.public) return me && to.path === '/login' ? homeOf(me.role) : true;
  if (!me) return { path: '/login', query: { next: to.fullPath } };
  if (to.path === '/' || (to.meta.roles && !to.meta.roles.includes(me.role))) return homeOf(me.role);
  return true;
});
