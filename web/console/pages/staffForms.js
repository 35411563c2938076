// What the console's write forms share (fees, funds): an API error worded from its code, field
// and reason in the person's language — never a blank failure — with the field it names; yuan
// typed by a person as integer fen; a pasted CSV; a community's buildings and a building's units
// for the pickers.
import { reactive } from 'vue'
import { gql } from '@shared/gql.js'

/** Words for the codes every form may meet; a page adds its own under `<scope>.errors`. */
export const errorMessages = {
  'zh-CN': { formErrors: {
    BAD_USER_INPUT: '输入有误，请检查标出的项目', NOT_FOUND: '找不到要操作的记录，请刷新后重试', CONFLICT: '与现有数据冲突，请刷新后重试',
    FORBIDDEN: '您没有这项权限', UNAUTHENTICATED: '登录已过期，请重新登录', PLUGIN_DISABLED: '该功能未启用',
    RATE_LIMITED: '操作过于频繁，请稍后再试', CHAIN_UNAVAILABLE: '区块链暂时不可用，未写入任何数据，请稍后重试',
    DATABASE_UNAVAILABLE: '数据库暂时不可用，未写入任何数据，请稍后重试', NETWORK: '网络连接失败，请检查网络后重试',
    UNKNOWN: '操作失败', yuan: '请输入金额（元），最多两位小数', whole: '请输入非负整数', required: '此项必填', detail: '错误代码 {code}：{message}',
  } },
  en: { formErrors: {
    BAD_USER_INPUT: 'Some input is wrong: see the field marked', NOT_FOUND: 'The record was not found: refresh and try again', CONFLICT: 'This conflicts with the data: refresh and try again',
    FORBIDDEN: 'You do not have this permission', UNAUTHENTICATED: 'Your session expired: sign in again', PLUGIN_DISABLED: 'This feature is not enabled',
    RATE_LIMITED: 'Too many attempts: try again later', CHAIN_UNAVAILABLE: 'The chain is unavailable; nothing was written: try again later',
    DATABASE_UNAVAILABLE: 'The database is unavailable; nothing was written: try again later', NETWORK: 'The network failed: check the connection and try again',
    UNKNOWN: 'The operation failed', yuan: 'Enter an amount in yuan, at most two decimals', whole: 'Enter a whole number, 0 or more', required: 'Required', detail: 'Error code {code}: {message}',
  } },
}

/** Merges page messages with the shared error words (per locale). */
export function withErrorMessages(messages) {
  const out = {}
  for (const locale of Object.keys(messages)) out[locale] = { ...errorMessages[locale], ...messages[locale] }
  return out
}

/**
 * A form's error state: `explain(e)` words a GqlError — `<scope>.errors.<reason>`, then
 * `<scope>.errors.<CODE>.<field>`, then `<scope>.errors.<CODE>`, then the shared word for the code —
 * sets `message` (the words), `detail` (the code and the API's own message) and `fields[field]`
 * (for `el-form-item :error`). `local(field, key)` marks a field before anything is sent.
 */
export function useFormErrors(t, te, scope) {
  const state = reactive({ message: '', detail: '', fields: {} })
  function clear() {
    Object.assign(state, { message: '', detail: '', fields: {} })
  }
  function explain(e) {
    const code = e?.code || 'UNKNOWN'
    const ext = e?.extensions || {}
    const field = ext.field || ''
    const params = { ...ext, message: e?.message || '' }
    const keys = [
      ext.reason && `${scope}.errors.${ext.reason}`,
      field && `${scope}.errors.${code}.${field}`,
      `${scope}.errors.${code}`,
      `formErrors.${code}`,
    ].filter(Boolean)
    const key = keys.find((k) => te(k) && typeof t(k) === 'string' && t(k) !== k)
    state.message = key ? t(key, params) : t('formErrors.UNKNOWN')
    state.detail = t('formErrors.detail', { code, message: e?.message || '' })
    state.fields = field ? { [field]: state.message } : {}
    return state.message
  }
  function local(field, key, params = {}) {
    return say(field, t(key, params))
  }
  /** Marks `field` with words already composed. */
  function say(field, text) {
    state.message = text
    state.detail = ''
    state.fields = { [field]: text }
    return text
  }
  /** Runs `fn`; on a GraphQL error explains it and returns undefined. */
  async function attempt(fn) {
    clear()
    try {
      return await fn()
    } catch (e) {
      explain(e)
      return undefined
    }
  }
  return { errors: state, clear, explain, local, say, attempt }
}

/** "12.5" / "¥1,234.56" → 1250 / 123456 fen; NaN unless a non-negative amount with ≤ 2 decimals. */
export function yuanToFen(text) {
  const s = String(text ?? '').replace(/[¥,，\s]/g, '')
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return NaN
  const [whole, cents = ''] = s.split('.')
  return Number(whole) * 100 + Number((cents + '00').slice(0, 2))
}

/** A non-negative whole number typed by a person, or NaN. */
export function wholeNumber(text) {
  const s = String(text ?? '').trim()
  return /^\d+$/.test(s) ? Number(s) : NaN
}

/** Pasted CSV (comma, Chinese comma or tab; a header line is skipped when its first cell is not a
 *  unit number) → rows of trimmed cells, empty lines dropped. */
export function parseRows(text) {
  return String(text || '')
    .replace(/^\ufeff/, '')
    .split(/\r?\n/)
    .map((line) => line.split(/[,，\t]/).map((c) => c.trim().replace(/^"(.*)"$/, '$1')))
    .filter((cells) => cells.some((c) => c))
}

/** Reads a picked file as text (UTF-8). */
export function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result || ''))
    reader.onerror = () => reject(reader.error)
    reader.readAsText(file, 'utf-8')
  })
}

/** A community's buildings: [{ id, name }] (first 100). */
export async function loadBuildings(communityId) {
  if (!communityId) return []
  const data = await gql(`query Buildings($id: ID!) { community(id: $id) { buildings(first: 100) { edges { node { id name } } } } }`, { id: communityId })
  return data.community?.buildings.edges.map((e) => e.node) || []
}

/** A building's units: [{ id, number }] (first 100). */
export async function loadUnits(buildingId) {
  if (!buildingId) return []
  const data = await gql(`query Units($id: ID!) { node(id: $id) { ... on Building { units(first: 100) { edges { node { id number } } } } } }`, { id: buildingId })
  return data.node?.units.edges.map((e) => e.node) || []
}
