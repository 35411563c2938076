// Hash routes (the gateway serves one page at /app/): every page is a lazy chunk. Signed-out
// visitors land on the sign-in page (which also claims a unit); /claim?unit=<id> comes from the
// unit's QR poster.
import { createRouter, createWebHashHistory } from 'vue-router'
import { loadSession } from '@shared/session.js'

const page = (name) => () => import(`./pages/${name}.vue`)

export const router = createRouter({
  history: createWebHashHistory(),
  scrollBehavior: () => ({ top: 0 }),
  routes: [
    { path: '/login', name: 'login', component: page('Login'), meta: { public: true } },
    { path: '/claim', name: 'claim', component: page('Claim'), meta: { public: true } },
    { path: '/', name: 'home', component: page('Home') },
    { path: '/votes', name: 'votes', component: page('Votes') },
    { path: '/votes/:id', name: 'proposal', component: page('Proposal'), props: true },
    { path: '/notices', name: 'notices', component: page('Notices') },
    { path: '/bills', name: 'bills', component: page('Bills') },
    { path: '/repairs', name: 'repairs', component: page('Repairs') },
    { path: '/repairs/new', name: 'report', component: page('Report') },
    { path: '/repairs/:id', name: 'repair', component: page('Repair'), props: true },
    { path: '/me', name: 'me', component: page('MyData') },
    { path: '/p/:plugin/:page', name: 'plugin', component: page('PluginPage'), props: true },
    { path: '/:rest(.*)', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if (!to.meta.public && !loadSession()) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  return true
})
