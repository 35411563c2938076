// The resident app's shell: Vue, the router (every page a lazy chunk), vue-i18n. No component
// library: plain elements styled in app.css, so that elderly mode controls every size and colour.
import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router.js'
import { i18n } from './i18n.js'
import './app.css'

createApp(App).use(i18n).use(router).mount('#app')
