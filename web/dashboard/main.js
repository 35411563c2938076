// The 一图感知 dashboard's shell: Vue and vue-i18n only (no component library); the board's
// charts load ECharts on demand (charts.js), so the first paint ships little JavaScript.
import { createApp } from 'vue'
import App from './App.vue'
import { i18n } from './i18n.js'
import './dashboard.css'

document.documentElement.lang = i18n.global.locale.value
createApp(App).use(i18n).mount('#app')
