// What the console's pages share: running a call with its error shown, money and times in the
// person's locale, the firm's communities (for the pickers), unit labels for unit ids, a CSV file.
import { ref } from 'vue'
import { gql } from '@shared/gql.js'

/** `run(fn)`: busy while it runs; a coded error's message in `error` (FORBIDDEN in plain words). */
export function useRun(t) {
  const error = ref('')
  const busy = ref(false)
  async function run(fn) {
    error.value = ''
    busy.value = true
    try {
      return await fn()
    } catch (e) {
      error.value = e.code === 'FORBIDDEN' ? t('common.forbidden') : e.message
      return undefined
    } finally {
      busy.value = false
    }
  }
  return { error, busy, run }
}

/** Integer fen → "¥1,234.50". */
export function money(fen, locale = 'zh-CN') {
  if (fen === null || fen === undefined) return '—'
  return new Intl.NumberFormat(locale, { style: 'currency', currency: 'CNY' }).format(Number(fen) / 100)
}

export function when(value, locale = 'zh-CN') {
  return value ? new Date(value).toLocaleString(locale, { hour12: false }) : '—'
}

/** The firm's communities (first 100), loaded once per page. */
export function useCommunities() {
  const communities = ref([])
  const load = async () => {
    const data = await gql(`{ communities(first: 100) { edges { node { id code name } } } }`)
    communities.value = data.communities.edges.map((e) => e.node)
    return communities.value
  }
  return { communities, loadCommunities: load }
}

/** Unit numbers for unit ids, in one query (aliased `node` lookups): { id: "101" }. */
export async function unitLabels(ids) {
  const unique = [...new Set(ids.filter(Boolean))].slice(0, 200)
  if (!unique.length) return {}
  const fields = unique.map((_, i) => `u${i}: node(id: $u${i}) { ... on Unit { number } }`).join(' ')
  const vars = unique.map((_, i) => `$u${i}: ID!`).join(', ')
  const data = await gql(`query Units(${vars}) { ${fields} }`, Object.fromEntries(unique.map((id, i) => [`u${i}`, id])))
  return Object.fromEntries(unique.map((id, i) => [id, data[`u${i}`]?.number || id]))
}

/** Offers `rows` (arrays) as a CSV file download named `name` (UTF-8 with BOM: Excel reads it). */
export function downloadCsv(name, rows) {
  const cell = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v))
  const text = '\ufeff' + rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n'
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }))
  const a = Object.assign(document.createElement('a'), { href: url, download: name })
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
