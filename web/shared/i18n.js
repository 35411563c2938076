// vue-i18n for every client: zh-CN by default, en; the choice is remembered per browser.
import { createI18n } from 'vue-i18n'

const KEY = 'linli.locale'
export const LOCALES = ['zh-CN', 'en']

export function initialLocale() {
  const saved = localStorage.getItem(KEY)
  return LOCALES.includes(saved) ? saved : 'zh-CN'
}

export function makeI18n(messages) {
  return createI18n({ legacy: false, locale: initialLocale(), fallbackLocale: 'zh-CN', messages })
}

export function setLocale(i18n, locale) {
  i18n.global.locale.value = locale
  localStorage.setItem(KEY, locale)
  document.documentElement.lang = locale
}
