// The staff console's shell: Vue, the router (pages are lazy chunks), vue-i18n and the Element
// Plus components the pages use (imported one by one, so that the shell stays small).
import { createApp } from 'vue'
import {
  ElAlert, ElAside, ElButton, ElCard, ElCheckbox, ElCheckboxGroup, ElConfigProvider, ElContainer,
  ElDialog, ElEmpty, ElForm, ElFormItem, ElHeader, ElInput, ElMain, ElMenu, ElMenuItem, ElOption,
  ElRadioButton, ElRadioGroup, ElSelect, ElTabPane, ElTable, ElTableColumn, ElTabs, ElTag, ElLoading,
} from 'element-plus'
import 'element-plus/dist/index.css'
import App from './App.vue'
import { router } from './router.js'
import { i18n } from './i18n.js'
import './console.css'

const app = createApp(App)
for (const c of [ElAlert, ElAside, ElButton, ElCard, ElCheckbox, ElCheckboxGroup, ElConfigProvider, ElContainer,
  ElDialog, ElEmpty, ElForm, ElFormItem, ElHeader, ElInput, ElMain, ElMenu, ElMenuItem, ElOption, ElRadioButton,
  ElRadioGroup, ElSelect, ElTabPane, ElTable, ElTableColumn, ElTabs, ElTag]) {
  app.component(c.name, c)
}
app.use(ElLoading)
app.use(i18n).use(router).mount('#app')
