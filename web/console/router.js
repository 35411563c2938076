// Hash routes (the gateway serves one page at /console/): every page is a lazy chunk.
import { createRouter, createWebHashHistory } from 'vue-router'
import { loadSession } from '@shared/session.js'

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/login', name: 'login', component: () => import('./pages/Login.vue'), meta: { public: true } },
    { path: '/', name: 'home', component: () => import('./pages/Welcome.vue') },
    { path: '/estate', name: 'estate', component: () => import('./pages/Estate.vue') },
    { path: '/people', name: 'people', component: () => import('./pages/People.vue') },
    { path: '/workorders', name: 'workorders', component: () => import('./pages/WorkOrders.vue') },
    { path: '/alarms', name: 'alarms', component: () => import('./pages/Alarms.vue') },
    { path: '/devices', name: 'devices', component: () => import('./pages/Devices.vue') },
    { path: '/fees', name: 'fees', component: () => import('./pages/Fees.vue') },
    { path: '/governance', name: 'governance', component: () => import('./pages/Governance.vue') },
    { path: '/funds', name: 'funds', component: () => import('./pages/Funds.vue') },
    { path: '/notices', name: 'notices', component: () => import('./pages/Notices.vue') },
    { path: '/inspections', name: 'inspections', component: () => import('./pages/Inspections.vue') },
    { path: '/privacy', name: 'privacy', component: () => import('./pages/Privacy.vue') },
    // a street office's regulator account (docs/regulator.md)
    { path: '/regulator', name: 'regulator', component: () => import('./pages/Regulator.vue') },
    { path: '/filings', name: 'filings', component: () => import('./pages/Filings.vue') },
    { path: '/alerts', name: 'alerts', component: () => import('./pages/RegulatorAlerts.vue') },
    // the scenario plugins' list pages (pages/pluginLists.js)
    ...['safety', 'access', 'parking', 'care', 'grid', 'participation'].map((list) => ({
      path: `/${list}`, name: list, component: () => import('./pages/PluginList.vue'), props: { list },
    })),
    { path: '/p/:plugin/:page', name: 'plugin', component: () => import('./pages/PluginPage.vue'), props: true },
    { path: '/:rest(.*)', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if (!to.meta.public && !loadSession()) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  return true
})
