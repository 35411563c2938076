// The safety plugin's widget on the 一图感知 dashboard (/dashboard/, client "dashboard"): the
// community's safety alarms of the last 30 days by type — open ones first, in large type — read
// again whenever a safety alarm of the community changes (safetyAlarmChanges over the board's
// WebSocket). Plain DOM, no build step; api: gql, subscribe, locale, communityId (docs/plugins/web-pages.md).
const WORDS = {
  'zh-CN': {
    none: '近 30 天没有安全告警', open: '未处理', total: '30 天', falseRate: '误报率',
    type: { thrown_object: '高空抛物', fire_lane_blocked: '消防通道占用', perimeter_intrusion: '周界入侵', ebike_in_lift: '电动车入梯',
      smoke: '烟感', gas_leak: '燃气泄漏', water_leak: '漏水' },
  },
  en: {
    none: 'No safety alarm in 30 days', open: 'open', total: '30 days', falseRate: 'false',
    type: { thrown_object: 'Thrown objects', fire_lane_blocked: 'Fire lane blocked', perimeter_intrusion: 'Perimeter intrusion',
      ebike_in_lift: 'E-bike in lift', smoke: 'Smoke', gas_leak: 'Gas leak', water_leak: 'Water leak' },
  },
}

const STATS = `query SafetyWidget($c: ID) { safetyAlarmStats(communityId: $c) { type total open falseAlarmRateBp } }`

function el(tag, text, style) {
  const node = document.createElement(tag)
  if (text !== undefined) node.textContent = text
  if (style) node.setAttribute('style', style)
  return node
}

export function mount(root, api) {
  const w = WORDS[api.locale] || WORDS['zh-CN']
  const list = el('ul', undefined, 'list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:.35rem')
  list.setAttribute('aria-live', 'polite')
  list.dataset.testid = 'safety-widget'
  root.replaceChildren(list)
  let alive = true

  async function load() {
    const data = await api.gql(STATS, { c: api.communityId || null })
    if (!alive) return
    const rows = data.safetyAlarmStats.filter((s) => s.total > 0).sort((a, b) => b.open - a.open || b.total - a.total)
    if (!rows.length) {
      list.replaceChildren(el('li', w.none, 'color:#a9bcd9'))
      return
    }
    list.replaceChildren(...rows.map((s) => {
      const li = el('li', undefined, 'display:flex;justify-content:space-between;gap:1rem;font-size:1.1rem')
      li.append(el('span', w.type[s.type] || s.type))
      const figures = el('span', undefined, 'font-variant-numeric:tabular-nums')
      figures.append(el('strong', `${s.open} ${w.open}`, s.open ? 'color:#ff6b6b' : ''), el('span', ` · ${s.total} ${w.total}`, 'color:#a9bcd9'))
      li.append(figures)
      return li
    }))
  }

  load().catch(() => { if (alive) list.replaceChildren(el('li', '—')) })
  const stop = api.subscribe(`subscription SafetyWidgetLive($c: ID) { safetyAlarmChanges(communityId: $c) { event alarmId } }`,
    { c: api.communityId || null }, () => load().catch(() => {}))
  return () => { alive = false; stop() }
}
