// The access plugin's page in Linli's resident app (client "app"): my visitor passes, a new pass
// for a visitor (createVisitorPass: name, day, hours, entries, plate) and its QR code to show or
// send. A plain ES module, no build step: the app imports it and calls mount(element, api) with
//   api.gql(query, variables) → Promise of the data (rejects with a coded error),
//   api.locale ("zh-CN" | "en"), api.elderly (true in elderly mode: plainer words, bigger code).
import { qrSvg } from './qr.js'

const WORDS = {
  'zh-CN': {
    title: '访客通行证', intro: '给来访的亲友开一张通行证，把二维码或通行码发给他们，到门口出示即可。', new: '新建通行证',
    visitor: '访客姓名', date: '来访日期', hours: '有效时长', hoursN: '{n} 小时', entries: '可进出次数', plate: '车牌（开车来才填）',
    create: '生成通行证', code: '通行码', qr: '通行证二维码：{name}', mine: '我开过的通行证', none: '还没有通行证',
    status: { active: '有效', expired: '已过期', revoked: '已作废', used_up: '已用完', upcoming: '未开始' }, valid: '{from} 至 {until}',
    used: '已进出 {used}/{max} 次', revoke: '作废', show: '显示二维码', failed: '出错了：', ready: '通行证已生成，请把二维码或通行码发给访客',
    plainIntro: '有人来看您？在这里开一张「进门条」。', plainCreate: '生成进门条',
  },
  en: {
    title: 'Visitor passes', intro: 'Give a visitor a pass: send them the QR code or the pass code to show at the gate.', new: 'New pass',
    visitor: 'Visitor\'s name', date: 'Day of the visit', hours: 'Valid for', hoursN: '{n} hours', entries: 'Entries allowed', plate: 'Plate (only if coming by car)',
    create: 'Create the pass', code: 'Pass code', qr: 'Pass QR code: {name}', mine: 'My passes', none: 'No passes yet',
    status: { active: 'Valid', expired: 'Expired', revoked: 'Revoked', used_up: 'Used up', upcoming: 'Not yet valid' }, valid: '{from} to {until}',
    used: 'Used {used} of {max} entries', revoke: 'Revoke', show: 'Show QR code', failed: 'Something went wrong: ', ready: 'Pass ready: send the QR code or the pass code to your visitor',
    plainIntro: 'Someone coming to see you? Make them an entry pass here.', plainCreate: 'Make the entry pass',
  },
}

const PASS = 'id visitorNameMasked plateMasked validFrom validUntil maxEntries entriesUsed status revokedAt'

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v)
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? '' : v)
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child)
  return node
}

function fill(text, args) {
  return text.replace(/\{(\w+)\}/g, (_, k) => String(args[k]))
}

function today() {
  const d = new Date()
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

export function mount(root, api) {
  const w = WORDS[api.locale] || WORDS['zh-CN']
  const fmt = new Intl.DateTimeFormat(api.locale, { dateStyle: 'short', timeStyle: 'short' })
  const qrSize = api.elderly ? 300 : 240
  let alive = true
  const message = el('div', { 'aria-live': 'polite' })
  const issued = el('div')
  const list = el('ul', { class: 'list' })

  const field = (id, label, input) => el('div', { class: 'field' }, el('label', { for: id }, label), input)
  const name = el('input', { id: 'pass-visitor', required: true, maxlength: '60', autocomplete: 'off' })
  const day = el('input', { id: 'pass-date', type: 'date', value: today(), min: today(), required: true })
  const hours = el('select', { id: 'pass-hours' }, ...[4, 12, 24, 72].map((n) => el('option', { value: String(n) }, fill(w.hoursN, { n }))))
  const entries = el('input', { id: 'pass-entries', type: 'number', min: '1', max: '10', value: '1', inputmode: 'numeric' })
  const plate = el('input', { id: 'pass-plate', maxlength: '10', autocapitalize: 'characters' })
  const button = el('button', { class: 'btn wide', type: 'submit' }, api.elderly ? w.plainCreate : w.create)
  const form = el('form', { class: 'card', onsubmit: create },
    el('h2', {}, w.new),
    field('pass-visitor', w.visitor, name), field('pass-date', w.date, day), field('pass-hours', w.hours, hours),
    field('pass-entries', w.entries, entries), field('pass-plate', w.plate, plate), button)

  root.replaceChildren(el('section', { class: 'plugin-passes' },
    el('h1', {}, w.title), el('p', { class: 'muted' }, api.elderly ? w.plainIntro : w.intro),
    message, issued, form, el('h2', {}, w.mine), list))

  function fail(e) {
    message.replaceChildren(el('p', { class: 'alert', role: 'alert' }, w.failed + e.message))
  }

  function showCode(visitor, code, payload) {
    issued.replaceChildren(el('div', { class: 'card', 'data-testid': 'pass-issued' },
      el('p', { class: 'ok', role: 'status' }, w.ready),
      el('div', { style: 'display:flex;justify-content:center' }, qrSvg(payload, qrSize, fill(w.qr, { name: visitor }))),
      el('p', { style: 'text-align:center' }, w.code + ': ', el('span', { class: 'big-code', 'data-testid': 'pass-code' }, code))))
    issued.scrollIntoView({ block: 'start' })
  }

  async function create(event) {
    event.preventDefault()
    message.replaceChildren()
    button.disabled = true
    try {
      const [y, m, d] = day.value.split('-').map(Number)
      const start = new Date(y, m - 1, d, 0, 0, 0)
      const from = start < new Date() ? new Date() : start
      const until = new Date(from.getTime() + Number(hours.value) * 3600_000)
      const data = await api.gql(`mutation NewPass($input: VisitorPassInput!) { createVisitorPass(input: $input) { code qrPayload pass { ${PASS} } } }`, {
        input: { visitorName: name.value.trim(), validFrom: from.toISOString(), validUntil: until.toISOString(),
          maxEntries: Number(entries.value) || 1, plate: plate.value.trim() || null },
      })
      showCode(name.value.trim(), data.createVisitorPass.code, data.createVisitorPass.qrPayload)
      form.reset()
      day.value = today()
      await load()
    } catch (e) {
      fail(e)
    } finally {
      button.disabled = false
    }
  }

  async function showAgain(p) {
    try {
      const data = await api.gql('query PassCode($id: ID!) { visitorPassCode(id: $id) }', { id: p.id })
      showCode(p.visitorNameMasked, data.visitorPassCode, `LP1.${data.visitorPassCode}`)
    } catch (e) {
      fail(e)
    }
  }

  async function revoke(p) {
    try {
      await api.gql(`mutation Revoke($id: ID!) { revokeVisitorPass(id: $id) { id } }`, { id: p.id })
      await load()
    } catch (e) {
      fail(e)
    }
  }

  async function load() {
    try {
      const data = await api.gql(`query MyPasses { visitorPasses { ${PASS} } }`)
      if (!alive) return
      const rows = data.visitorPasses
      if (!rows.length) {
        list.replaceChildren(el('li', { class: 'muted' }, w.none))
        return
      }
      list.replaceChildren(...rows.map((p) => el('li', { class: 'card', 'data-testid': 'pass' },
        el('div', { class: 'row' }, el('strong', {}, p.visitorNameMasked), el('span', { class: `tag ${p.status === 'active' ? 'good' : 'info'}` }, w.status[p.status] || p.status)),
        el('p', { class: 'muted', style: 'margin:.2rem 0' }, fill(w.valid, { from: fmt.format(new Date(p.validFrom)), until: fmt.format(new Date(p.validUntil)) }),
          ' · ', fill(w.used, { used: p.entriesUsed, max: p.maxEntries }), p.plateMasked ? ` · ${p.plateMasked}` : ''),
        p.status === 'active' || p.status === 'upcoming'
          ? el('div', { class: 'row' },
            el('button', { type: 'button', class: 'btn secondary', onclick: () => showAgain(p) }, w.show),
            el('button', { type: 'button', class: 'btn secondary', onclick: () => revoke(p) }, w.revoke))
          : null)))
    } catch (e) {
      if (alive) fail(e)
    }
  }
  load()
  return () => { alive = false }
}
