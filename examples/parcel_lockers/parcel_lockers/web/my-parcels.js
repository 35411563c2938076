// The parcel lockers' page in Linli's resident app (client "app"): my units' parcels, each with
// its pickup code (取件码) while it waits. A plain ES module, no build step; the app calls
// mount(element, api) with api.gql, api.locale and api.elderly (see docs/plugins/web-pages.md).

const WORDS = {
  'zh-CN': {
    title: '我的快递', none: '没有待取的快递', code: '取件码', compartment: '格口', tracking: '运单号',
    waiting: '待取', collected: '已取', failed: '加载失败：', plainTitle: '有我的快递吗',
  },
  en: {
    title: 'My parcels', none: 'No parcels waiting', code: 'Pickup code', compartment: 'Compartment',
    tracking: 'Tracking number', waiting: 'Waiting', collected: 'Collected', failed: 'Could not load: ',
    plainTitle: 'Any parcels for me?',
  },
}

const QUERY = `query MyParcels { parcels(first: 50) { edges { node { id trackingNumber compartment status depositedAt pickupCode } } } }`

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v)
  for (const child of children) if (child !== null) node.append(child)
  return node
}

export function mount(root, api) {
  const w = WORDS[api.locale] || WORDS['zh-CN']
  const when = new Intl.DateTimeFormat(api.locale, { dateStyle: 'short', timeStyle: 'short' })
  const body = el('div', { 'aria-live': 'polite' })
  root.replaceChildren(el('section', { class: 'plugin-my-parcels' }, el('h1', {}, api.elderly ? w.plainTitle : w.title), body))
  let alive = true
  api.gql(QUERY).then((data) => {
    if (!alive) return
    const rows = data.parcels.edges.map((e) => e.node)
    if (!rows.length) {
      body.replaceChildren(el('p', { class: 'muted' }, w.none))
      return
    }
    body.replaceChildren(el('ul', { class: 'list' }, ...rows.map((p) => el('li', { class: 'card', 'data-testid': 'parcel' },
      el('p', {}, el('span', { class: `tag ${p.status === 'WAITING' ? 'warn' : 'good'}` }, p.status === 'WAITING' ? w.waiting : w.collected),
        ' ', el('span', { class: 'muted' }, when.format(new Date(p.depositedAt)))),
      p.pickupCode ? el('p', {}, `${w.code}: `, el('span', { class: 'big-code' }, p.pickupCode)) : null,
      el('p', { class: 'muted' }, `${w.compartment} ${p.compartment} · ${w.tracking} ${p.trackingNumber}`)))))
  }).catch((e) => {
    if (alive) body.replaceChildren(el('p', { class: 'alert', role: 'alert' }, w.failed + e.message))
  })
  return () => { alive = false }
}
