// The care plugin's pages in Linli's resident app (client "app"), plain ES modules, no build step:
//   mountCheckIn — the recipient's one big button "I'm fine" (careCheckIn, 报平安);
//   mountFamily  — an emergency contact's view of their relative: today's check-in, open alerts,
//                  the last check-ins (careRecipients / careAlerts / careCheckIns, read_own).
// api: gql, locale, elderly (see docs/plugins/web-pages.md).

const WORDS = {
  'zh-CN': {
    checkInTitle: '报平安', checkInIntro: '每天点一下，让家人和物业知道您一切都好。', fine: '我很好', done: '今天已报平安（{time}）。谢谢！',
    notEnrolled: '您还没有加入关爱服务，请联系物业。', familyTitle: '家人关爱', none: '没有需要您关注的家人',
    lastCheckIn: '最近报平安', never: '还没有', today: '今天已报平安', notToday: '今天还没报平安', alerts: '待处理的提醒', noAlerts: '没有待处理的提醒',
    recent: '最近的报平安', method: { self: '自己报平安', call: '物业电话确认', visit: '上门确认' }, failed: '出错了：',
    kind: { missed_check_in: '没有按时报平安', no_activity: '长时间没有活动', fall: '可能摔倒', sos: '紧急呼叫', heart_rate: '心率异常' },
    alertStatus: { open: '待处理', acknowledged: '已有人处理', arrived: '已到现场', resolved: '已解决' },
  },
  en: {
    checkInTitle: 'I\'m fine', checkInIntro: 'Tap once a day so that your family and the firm know you are well.', fine: 'I\'m fine', done: 'Checked in today ({time}). Thank you!',
    notEnrolled: 'You are not in the care service yet; please contact the property firm.', familyTitle: 'Family care', none: 'No relative to look after here',
    lastCheckIn: 'Last check-in', never: 'Never', today: 'Checked in today', notToday: 'No check-in yet today', alerts: 'Open alerts', noAlerts: 'No open alerts',
    recent: 'Recent check-ins', method: { self: 'By themselves', call: 'Phone call by staff', visit: 'Visit by staff' }, failed: 'Something went wrong: ',
    kind: { missed_check_in: 'Missed check-in', no_activity: 'No activity for long', fall: 'Possible fall', sos: 'Emergency call', heart_rate: 'Unusual heart rate' },
    alertStatus: { open: 'Open', acknowledged: 'Being handled', arrived: 'Someone is there', resolved: 'Resolved' },
  },
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v)
    else node.setAttribute(k, v)
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child)
  return node
}

const words = (api) => WORDS[api.locale] || WORDS['zh-CN']

export function mountCheckIn(root, api) {
  const w = words(api)
  const time = new Intl.DateTimeFormat(api.locale, { timeStyle: 'short' })
  const out = el('div', { 'aria-live': 'polite' })
  const button = el('button', { type: 'button', class: 'btn wide', 'data-testid': 'care-fine', style: 'min-height:6rem;font-size:1.6rem' }, w.fine)
  button.addEventListener('click', async () => {
    button.disabled = true
    try {
      const data = await api.gql('mutation ImFine { careCheckIn { day checkedAt } }')
      out.replaceChildren(el('p', { class: 'ok', role: 'status' }, w.done.replace('{time}', time.format(new Date(data.careCheckIn.checkedAt)))))
    } catch (e) {
      out.replaceChildren(el('p', { class: 'alert', role: 'alert' }, e.code === 'NOT_FOUND' ? w.notEnrolled : w.failed + e.message))
    } finally {
      button.disabled = false
    }
  })
  root.replaceChildren(el('section', { class: 'plugin-care' }, el('h1', {}, w.checkInTitle), el('p', {}, w.checkInIntro), button, out))
}

export function mountFamily(root, api) {
  const w = words(api)
  const fmt = new Intl.DateTimeFormat(api.locale, { dateStyle: 'medium', timeStyle: 'short' })
  const body = el('div', { 'aria-live': 'polite' })
  root.replaceChildren(el('section', { class: 'plugin-care-family' }, el('h1', {}, w.familyTitle), body))
  let alive = true
  const todayIso = new Date().toLocaleDateString('sv-SE') // YYYY-MM-DD in local time

  async function load() {
    try {
      const data = await api.gql('query Relatives { careRecipients { id maskedName lastCheckIn openAlerts status } }')
      if (!alive) return
      if (!data.careRecipients.length) {
        body.replaceChildren(el('p', { class: 'muted' }, w.none))
        return
      }
      const cards = []
      for (const r of data.careRecipients) {
        const more = await api.gql(`query Relative($id: ID!) {
          careAlerts(recipientId: $id, openOnly: true) { id kind status raisedAt }
          careCheckIns(recipientId: $id) { day method checkedAt } }`, { id: r.id })
        const fine = r.lastCheckIn === todayIso
        cards.push(el('div', { class: 'card', 'data-testid': 'relative' },
          el('h2', {}, r.maskedName),
          el('p', {}, el('span', { class: `tag ${fine ? 'good' : 'warn'}` }, fine ? w.today : w.notToday), ' ',
            el('span', { class: 'muted' }, `${w.lastCheckIn}: ${r.lastCheckIn || w.never}`)),
          el('h3', {}, w.alerts),
          more.careAlerts.length
            ? el('ul', {}, ...more.careAlerts.map((a) => el('li', {}, `${w.kind[a.kind] || a.kind} · ${w.alertStatus[a.status] || a.status} · ${fmt.format(new Date(a.raisedAt))}`)))
            : el('p', { class: 'muted' }, w.noAlerts),
          el('h3', {}, w.recent),
          el('ul', {}, ...more.careCheckIns.slice(0, 7).map((c) => el('li', {}, `${c.day} · ${w.method[c.method] || c.method}`)))))
      }
      if (alive) body.replaceChildren(...cards)
    } catch (e) {
      if (alive) body.replaceChildren(el('p', { class: 'alert', role: 'alert' }, w.failed + e.message))
    }
  }
  load()
  return () => { alive = false }
}
