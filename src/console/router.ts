import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import { homeOf, loadMe, type Role, session } from './lib/session';
import { adminRoutes } from './pages/admin/routes';

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
    path: '/duty/cameras/:id',
    component: () => import('./pages/duty/CameraPage.vue'),
    meta: { roles: ['duty', 'bureau', 'admin'] },
  },
  {
    path: '/tickets',
    component: () => import('./pages/ContractorBoard.vue'),
    meta: { roles: ['contractor', 'bureau', 'admin'] },
  },
  {
    path: '/tickets/:id(\\d+)',
    component: () => import('./pages/tickets/TicketPage.vue'),
    props: true,
    meta: { roles: ['contractor', 'bureau', 'admin'] },
  },
  {
    path: '/bureau',
    component: () => import('./pages/BureauDashboard.vue'),
    meta: { roles: ['bureau', 'admin'] },
  },
  {
    path: '/admin',
    component: () => import('./pages/AdminHome.vue'),
    // each admin page names its own roles: the bureau reads some of them (pages/admin/routes.ts)
    meta: { roles: ['admin', 'bureau'] },
    children: adminRoutes,
  },
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

// After a redeploy the page's chunks have new names: a page whose code cannot be fetched any more is opened
// afresh (once, so a real outage does not loop).
router.onError((err, to) => {
  const stale = /dynamically imported module|Importing a module script failed/i.test(String(err?.message));
  if (stale && sessionStorage.getItem('xl-reloaded') !== to.fullPath) {
    sessionStorage.setItem('xl-reloaded', to.fullPath);
    window.location.hash = to.fullPath;
    window.location.reload();
  }
});
