import type { RouteRecordRaw } from 'vue-router';
import { session } from '../../lib/session';

/** One admin page: its path under /admin, its menu label key, and who may open it. */
export interface AdminPage {
  path: string;
  label: string;
  roles: Array<'admin' | 'bureau'>;
  component: RouteRecordRaw['component'];
}

/**
 * The admin area's pages, in menu order. The bureau reads what the API lets it (exclusions, the audit, offices,
 * staff, notifications) and changes only exclusions.
 */
export const ADMIN_PAGES: AdminPage[] = [
  { path: 'users', label: 'admin.menu.users', roles: ['admin'], component: () => import('./UsersPage.vue') },
  {
    path: 'districts',
    label: 'admin.menu.districts',
    roles: ['admin'],
    component: () => import('./DistrictsPage.vue'),
  },
  {
    path: 'contractors',
    label: 'admin.menu.contractors',
    roles: ['admin'],
    component: () => import('./ContractorsPage.vue'),
  },
  {
    path: 'contracts',
    label: 'admin.menu.contracts',
    roles: ['admin'],
    component: () => import('./ContractsPage.vue'),
  },
  {
    path: 'cameras',
    label: 'admin.menu.cameras',
    roles: ['admin'],
    component: () => import('./CamerasPage.vue'),
  },
  {
    path: 'exclusions',
    label: 'admin.menu.exclusions',
    roles: ['admin', 'bureau'],
    component: () => import('./ExclusionsPage.vue'),
  },
  {
    path: 'video-audit',
    label: 'admin.menu.videoAudit',
    roles: ['admin', 'bureau'],
    component: () => import('./VideoAuditPage.vue'),
  },
  {
    path: 'monthly-reports',
    label: 'admin.menu.monthlyReports',
    roles: ['admin', 'bureau'],
    component: () => import('./MonthlyReportsPage.vue'),
  },
  { path: 'scans', label: 'admin.menu.scans', roles: ['admin'], component: () => import('./ScansPage.vue') },
  {
    path: 'offices',
    label: 'admin.menu.offices',
    roles: ['admin', 'bureau'],
    component: () => import('./OfficesPage.vue'),
  },
  {
    path: 'staff',
    label: 'admin.menu.staff',
    roles: ['admin', 'bureau'],
    component: () => import('./StaffPage.vue'),
  },
  {
    path: 'notifications',
    label: 'admin.menu.notify',
    roles: ['admin', 'bureau'],
    component: () => import('./NotificationsPage.vue'),
  },
];

export const adminRoutes: RouteRecordRaw[] = [
  {
    path: '',
    redirect: () => (session.me?.role === 'admin' ? '/admin/users' : '/admin/exclusions'),
  },
  ...ADMIN_PAGES.map(
    (p): RouteRecordRaw => ({
      path: p.path,
      component: p.component as NonNullable<RouteRecordRaw['component']>,
      meta: { roles: p.roles },
    }),
  ),
];
