// t() with elderly mode's plain words: in elderly mode a key with a `plain.<key>` message says
// that instead (shorter, everyday words: 「报修」 becomes 「东西坏了，找人来修」).
import { useI18n } from 'vue-i18n'
import { state } from './state.js'

export function useWords() {
  const { t, te, locale } = useI18n()
  const w = (key, args) => (state.elderly && te(`plain.${key}`) ? t(`plain.${key}`, args || {}) : t(key, args || {}))
  return { w, t, te, locale }
}

/** Money in fen as yuan, in the locale's style (¥1,234.50). */
export function yuan(fen, locale) {
  return new Intl.NumberFormat(locale, { style: 'currency', currency: 'CNY' }).format(Number(fen) / 100)
}

export function when(iso, locale, withTime = true) {
  if (!iso) return '—'
  const options = withTime ? { dateStyle: 'medium', timeStyle: 'short' } : { dateStyle: 'medium' }
  return new Intl.DateTimeFormat(locale, options).format(new Date(iso))
}
