// The parcel lockers' page in Linli's staff console: a plain ES module, no build step.
// The console imports it at run time and calls mount(element, api) with
//   api.gql(query, variables) → Promise of the data (rejects with a coded error),
//   api.locale                → "zh-CN" or "en",
// and calls the function mount returns when the page is left. See docs/plugins/web-pages.md.

const WORDS = {
  'zh-CN': {
    title: '快递柜包裹', waitingOnly: '只看待取', tracking: '运单号', compartment: '格口',
    status: '状态', deposited: '投递时间', reminders: '提醒次数', none: '没有包裹',
    waiting: '待取', collected: '已取', failed: '加载失败：',
  },
  en: {
    title: 'Parcel lockers', waitingOnly: 'Waiting only', tracking: 'Tracking number',
    compartment: 'Compartment', status: 'Status', deposited: 'Deposited', reminders: 'Reminders',
    none: 'No parcels', waiting: 'Waiting', collected: 'Collected', failed: 'Could not load: ',
  },
}

const QUERY = `query Parcels($waitingOnly: Boolean!) {
  parcels(waitingOnly: $waitingOnly, first: 100) {
    edges { node { id trackingNumber compartment status depositedAt reminders } }
  }
}`

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v)
  for (const child of children) node.append(child)
  return node
}

export function mount(root, api) {
  const w = WORDS[api.locale] || WORDS['zh-CN']
  const when = new Intl.DateTimeFormat(api.locale, { dateStyle: 'short', timeStyle: 'short' })
  const box = el('input', { type: 'checkbox', id: 'parcels-waiting-only' })
  const body = el('div', { 'aria-live': 'polite' })
  root.replaceChildren(
    el('section', { class: 'plugin-parcels' },
      el('h2', {}, w.title),
      el('p', {}, box, ' ', el('label', { for: 'parcels-waiting-only' }, w.waitingOnly)),
      body),
  )

  let alive = true
  async function load() {
    try {
      const data = await api.gql(QUERY, { waitingOnly: box.checked })
      if (!alive) return
      const rows = data.parcels.edges.map((e) => e.node)
      if (!rows.length) {
        body.replaceChildren(el('p', { class: 'empty' }, w.none))
        return
      }
      const head = el('tr', {}, ...[w.tracking, w.compartment, w.status, w.deposited, w.reminders].map((h) => el('th', { scope: 'col' }, h)))
      const lines = rows.map((p) => el('tr', {},
        el('td', {}, p.trackingNumber), el('td', {}, p.compartment),
        el('td', {}, p.status === 'WAITING' ? w.waiting : w.collected),
        el('td', {}, when.format(new Date(p.depositedAt))), el('td', {}, String(p.reminders))))
      body.replaceChildren(el('table', { class: 'plugin-table' }, el('thead', {}, head), el('tbody', {}, ...lines)))
    } catch (error) {
      if (alive) body.replaceChildren(el('p', { role: 'alert' }, w.failed + error.message))
    }
  }
  box.addEventListener('change', load)
  load()
  return () => { alive = false }
}
