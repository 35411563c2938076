// The list pages of the built-in scenario plugins (register_web_pages, module=None): for each
// page its tabs, each one GraphQL query, where its rows are, and its columns [field, zh-CN, en,
// format]. PluginList.vue draws them; `live` names a subscription that reloads the page.
// A tab's staff actions, from the plugin's GraphQL:
// - `create`: a button opening a form — its `fields` ({ key, label: [zh-CN, en], type: text |
//   number | datetime | community | select with `options` [[value, zh-CN, en]] or `from` (a query
//   and its [value, label] pairs), `multiple`, `value` (the default, or a function giving it),
//   `optional`), the `mutation` and its variables `vars(form)`; `done(data)` may return
//   [zh-CN, en] words shown once (a pass's code).
// - `actions`: a button per row when `when(row)`; `note` ([zh-CN, en]) asks for a text first;
//   `vars(row, note)` gives the mutation's variables.
const edges = (conn) => conn.edges.map((e) => e.node)
const OPEN = ['raised', 'acknowledged', 'arrived']
const inHours = (h) => () => {
  const d = new Date(Date.now() + h * 3_600_000)
  d.setSeconds(0, 0)
  return d
}
const iso = (v) => new Date(v).toISOString()

export const LISTS = {
  safety: {
    title: ['安全告警', 'Safety'],
    live: 'subscription SafetyLive { safetyAlarmChanges { event alarmId } }',
    tabs: [
      { key: 'alarms', title: ['告警', 'Alarms'],
        query: '{ safetyAlarms(first: 100) { edges { node { id type severity status location raisedAt escalated escalationLevel regulatorAlerted falseAlarm } } } }',
        rows: (d) => edges(d.safetyAlarms),
        columns: [['type', '类型', 'Type'], ['severity', '级别', 'Severity'], ['status', '状态', 'Status'], ['location', '位置', 'Location'],
          ['raisedAt', '发生时间', 'Raised', 'time'], ['escalationLevel', '升级级别', 'Escalation level'], ['regulatorAlerted', '已报街道', 'Street alerted', 'bool'],
          ['falseAlarm', '误报', 'False alarm', 'bool']],
        actions: [
          { key: 'acknowledge', title: ['确认', 'Acknowledge'], type: 'primary', when: (r) => r.status === 'raised',
            mutation: 'mutation Ack($id: ID!) { acknowledgeSafetyAlarm(id: $id) { id status } }', vars: (r) => ({ id: r.id }) },
          { key: 'resolve', title: ['处理完毕', 'Resolve'], when: (r) => OPEN.includes(r.status), note: ['处理说明', 'What was done'],
            mutation: 'mutation Resolve($id: ID!, $note: String!) { resolveSafetyAlarm(id: $id, note: $note) { id status } }',
            vars: (r, note) => ({ id: r.id, note }) },
          { key: 'false', title: ['标记误报', 'Mark false alarm'], type: 'warning', when: (r) => !r.falseAlarm, note: ['误报原因', 'Why it was false'],
            mutation: 'mutation False($id: ID!, $note: String!) { markSafetyFalseAlarm(id: $id, note: $note) { id status falseAlarm } }',
            vars: (r, note) => ({ id: r.id, note }) },
        ] },
      { key: 'escalations', title: ['升级规则', 'Escalations'],
        query: '{ escalationPolicies { source severity ackWithinSeconds default } }',
        rows: (d) => d.escalationPolicies,
        columns: [['source', '来源', 'Source'], ['severity', '级别', 'Severity'], ['ackWithinSeconds', '确认时限（秒）', 'Acknowledge within (s)'], ['default', '默认', 'Default', 'bool']] },
    ],
  },
  access: {
    title: ['门禁', 'Access'],
    tabs: [
      { key: 'points', title: ['门禁点', 'Access points'],
        query: '{ accessPoints { id name kind floor antiPassback active } }',
        rows: (d) => d.accessPoints,
        columns: [['name', '名称', 'Name'], ['kind', '类型', 'Kind'], ['floor', '楼层', 'Floor'], ['antiPassback', '防尾随', 'Anti-passback', 'bool'], ['active', '启用', 'Active', 'bool']] },
      { key: 'passes', title: ['通行证', 'Passes'],
        query: '{ visitorPasses { id kind visitorNameMasked plateMasked validFrom validUntil entriesUsed maxEntries status } }',
        rows: (d) => d.visitorPasses,
        columns: [['visitorNameMasked', '访客', 'Visitor'], ['kind', '类型', 'Kind'], ['plateMasked', '车牌', 'Plate'], ['validFrom', '起', 'From', 'time'],
          ['validUntil', '止', 'Until', 'time'], ['entriesUsed', '已用次数', 'Entries used'], ['maxEntries', '可用次数', 'Entries allowed'], ['status', '状态', 'Status']],
        create: {
          title: ['新建快递/服务通行证', 'New courier or service pass'],
          fields: [
            { key: 'kind', label: ['类型', 'Kind'], type: 'select', value: 'courier', options: [['courier', '快递', 'Courier'], ['service', '上门服务', 'Service']] },
            { key: 'visitorName', label: ['姓名', 'Name'], type: 'text' },
            { key: 'pointIds', label: ['门禁点', 'Access points'], type: 'select', multiple: true,
              from: { query: '{ accessPoints { id name active } }', pairs: (d) => d.accessPoints.filter((p) => p.active).map((p) => [p.id, p.name]) } },
            { key: 'validFrom', label: ['生效时间', 'Valid from'], type: 'datetime', value: inHours(0) },
            { key: 'validUntil', label: ['失效时间（24 小时内）', 'Valid until (within 24 hours)'], type: 'datetime', value: inHours(4) },
            { key: 'maxEntries', label: ['可用次数', 'Entries allowed'], type: 'number', value: 2 },
            { key: 'plate', label: ['车牌（可选）', 'Plate (optional)'], type: 'text', optional: true },
          ],
          mutation: 'mutation Pass($i: VisitorPassInput!) { createServicePass(input: $i) { code pass { id status } } }',
          vars: (f) => ({ i: { kind: f.kind, visitorName: f.visitorName, pointIds: f.pointIds, validFrom: iso(f.validFrom), validUntil: iso(f.validUntil),
            maxEntries: Number(f.maxEntries), plate: f.plate || null } }),
          done: (d) => [`通行码 ${d.createServicePass.code}（只显示这一次，请发给对方）`, `Pass code ${d.createServicePass.code} (shown once: send it to them)`],
        },
        actions: [
          { key: 'revoke', title: ['作废', 'Revoke'], type: 'danger', when: (r) => ['active', 'upcoming'].includes(r.status),
            mutation: 'mutation Revoke($id: ID!) { revokeVisitorPass(id: $id) { id status } }', vars: (r) => ({ id: r.id }) },
        ] },
      { key: 'blacklist', title: ['黑名单', 'Blacklist'],
        query: '{ accessBlacklist { id plateMasked card accountId reason expiresAt } }',
        rows: (d) => d.accessBlacklist,
        columns: [['plateMasked', '车牌', 'Plate'], ['card', '门禁卡', 'Card', 'bool'], ['accountId', '账号', 'Account'], ['reason', '原因', 'Reason'],
          ['expiresAt', '到期', 'Expires', 'time']],
        create: {
          title: ['加入黑名单', 'Add to the blacklist'],
          fields: [
            { key: 'communityId', label: ['小区（空为全部）', 'Community (empty: all)'], type: 'community', optional: true },
            { key: 'plate', label: ['车牌', 'Plate'], type: 'text', optional: true },
            { key: 'cardNumber', label: ['门禁卡号', 'Card number'], type: 'text', optional: true },
            { key: 'reason', label: ['原因', 'Reason'], type: 'text' },
          ],
          mutation: 'mutation Bar($reason: String!, $c: ID, $plate: String, $card: String) { addToAccessBlacklist(reason: $reason, communityId: $c, plate: $plate, cardNumber: $card) { id } }',
          vars: (f) => ({ reason: f.reason, c: f.communityId || null, plate: f.plate || null, card: f.cardNumber || null }),
        },
        actions: [
          { key: 'remove', title: ['移出', 'Remove'], when: () => true,
            mutation: 'mutation Unbar($id: ID!) { removeFromAccessBlacklist(id: $id) }', vars: (r) => ({ id: r.id }) },
        ] },
    ],
  },
  parking: {
    title: ['停车', 'Parking'],
    tabs: [
      { key: 'lots', title: ['停车场', 'Lots'],
        query: '{ parkingLots { id name capacity tariff { freeMinutes hourlyFen dailyCapFen } } }',
        rows: (d) => d.parkingLots.map((l) => ({ ...l, freeMinutes: l.tariff.freeMinutes, hourlyFen: l.tariff.hourlyFen, dailyCapFen: l.tariff.dailyCapFen })),
        columns: [['name', '名称', 'Name'], ['capacity', '车位数', 'Capacity'], ['freeMinutes', '免费时长（分钟）', 'Free minutes'],
          ['hourlyFen', '每小时', 'Per hour', 'money'], ['dailyCapFen', '每日封顶', 'Daily cap', 'money']],
        create: {
          title: ['新建停车场', 'New car park'],
          fields: [
            { key: 'communityId', label: ['小区', 'Community'], type: 'community' },
            { key: 'name', label: ['名称', 'Name'], type: 'text' },
            { key: 'capacity', label: ['车位数', 'Capacity'], type: 'number', value: 100 },
            { key: 'freeMinutes', label: ['免费时长（分钟）', 'Free minutes'], type: 'number', value: 15 },
            { key: 'hourly', label: ['每小时收费（元）', 'Per hour (yuan)'], type: 'number', value: 5 },
            { key: 'dailyCap', label: ['每日封顶（元）', 'Daily cap (yuan)'], type: 'number', value: 40 },
          ],
          mutation: 'mutation Lot($c: ID!, $name: String!, $cap: Int!, $t: ParkingTariffInput) { createParkingLot(communityId: $c, name: $name, capacity: $cap, tariff: $t) { id } }',
          vars: (f) => ({ c: f.communityId, name: f.name, cap: Number(f.capacity),
            t: { freeMinutes: Number(f.freeMinutes), hourlyFen: Math.round(Number(f.hourly) * 100), dailyCapFen: Math.round(Number(f.dailyCap) * 100) } }),
        } },
      { key: 'sessions', title: ['进出记录', 'Sessions'],
        query: '{ parkingSessions { id plate kind entryAt exitAt feeFen paidFen settlement } }',
        rows: (d) => d.parkingSessions,
        columns: [['plate', '车牌', 'Plate'], ['kind', '类型', 'Kind'], ['entryAt', '入场', 'Entry', 'time'], ['exitAt', '出场', 'Exit', 'time'],
          ['feeFen', '费用', 'Fee', 'money'], ['paidFen', '已付', 'Paid', 'money'], ['settlement', '结算', 'Settlement']] },
    ],
  },
  care: {
    title: ['居家关爱', 'Care'],
    tabs: [
      { key: 'recipients', title: ['关爱对象', 'Recipients'],
        query: '{ careRecipients { id maskedName livesAlone status lastCheckIn openAlerts } }',
        rows: (d) => d.careRecipients,
        columns: [['maskedName', '姓名', 'Name'], ['livesAlone', '独居', 'Lives alone', 'bool'], ['status', '状态', 'Status'],
          ['lastCheckIn', '最近报平安', 'Last check-in'], ['openAlerts', '未处理提醒', 'Open alerts']] },
      { key: 'alerts', title: ['关爱提醒', 'Alerts'],
        query: '{ careAlerts { id kind status raisedAt acknowledgedAt resolvedAt } }',
        rows: (d) => d.careAlerts,
        columns: [['kind', '类型', 'Kind'], ['status', '状态', 'Status'], ['raisedAt', '发生时间', 'Raised', 'time'],
          ['acknowledgedAt', '确认时间', 'Acknowledged', 'time'], ['resolvedAt', '处理完成', 'Resolved', 'time']] },
    ],
  },
  grid: {
    title: ['网格', 'Grid'],
    tabs: [
      { key: 'grids', title: ['网格', 'Grids'],
        query: '{ grids { id name buildingIds members { accountId role } } }',
        rows: (d) => d.grids.map((g) => ({ ...g, buildings: g.buildingIds.length, people: g.members.length })),
        columns: [['name', '名称', 'Name'], ['buildings', '楼栋数', 'Buildings'], ['people', '网格员数', 'Members']] },
      { key: 'incidents', title: ['事件', 'Incidents'],
        query: '{ gridIncidents { id place category status reportedAt workOrderStatus closedAt } }',
        rows: (d) => d.gridIncidents,
        columns: [['category', '类别', 'Category'], ['place', '地点', 'Place'], ['status', '状态', 'Status'], ['reportedAt', '上报时间', 'Reported', 'time'],
          ['workOrderStatus', '工单', 'Work order'], ['closedAt', '办结', 'Closed', 'time']] },
    ],
  },
  participation: {
    title: ['议事与调查', 'Participation'],
    tabs: [
      { key: 'topics', title: ['议题', 'Topics'],
        query: '{ deliberationTopics { id title status coSignatures threshold openedAt answerDueAt overdue } }',
        rows: (d) => d.deliberationTopics,
        columns: [['title', '标题', 'Title'], ['status', '状态', 'Status'], ['coSignatures', '联名', 'Co-signatures'], ['threshold', '门槛', 'Threshold'],
          ['openedAt', '发起时间', 'Opened', 'time'], ['answerDueAt', '答复期限', 'Answer due', 'time'], ['overdue', '逾期', 'Overdue', 'bool']] },
      { key: 'surveys', title: ['调查', 'Surveys'],
        query: '{ surveys { id title kind status openedAt closesAt } }',
        rows: (d) => d.surveys,
        columns: [['title', '标题', 'Title'], ['kind', '类型', 'Kind'], ['status', '状态', 'Status'], ['openedAt', '开始', 'Opened', 'time'], ['closesAt', '截止', 'Closes', 'time']] },
    ],
  },
}
