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
    { path: '/p/:plugin/:page', name: 'plugin', component: () => import('./pages/PluginPage.vue'), props: true },
    { path: '/:rest(.*)', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if (!to.meta.public && !loadSession()) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  return true
})
