// The list pages of the built-in scenario plugins (register_web_pages, module=None): for each
// page its tabs, each one GraphQL query, where its rows are, and its columns [field, zh-CN, en,
// format]. PluginList.vue draws them; `live` names a subscription that reloads the page.
const edges = (conn) => conn.edges.map((e) => e.node)

export const LISTS = {
  safety: {
    title: ['安全告警', 'Safety'],
    live: 'subscription SafetyLive { safetyAlarmChanges { event alarmId } }',
    tabs: [
      { key: 'alarms', title: ['告警', 'Alarms'],
        query: '{ safetyAlarms(first: 100) { edges { node { id type severity status location raisedAt escalated escalationLevel regulatorAlerted falseAlarm } } } }',
        rows: (d) => edges(d.safetyAlarms),
        columns: [['type', '类型', 'Type'], ['severity', '级别', 'Severity'], ['status', '状态', 'Status'], ['location', '位置', 'Location'],
          ['raisedAt', '发生时间', 'Raised', 'time'], ['escalationLevel', '升级级别', 'Escalation level'], ['regulatorAlerted', '已报街道', 'Street alerted', 'bool']] },
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
        query: '{ visitorPasses { id kind visitorNameMasked plate validFrom validUntil entriesUsed maxEntries status } }',
        rows: (d) => d.visitorPasses,
        columns: [['visitorNameMasked', '访客', 'Visitor'], ['kind', '类型', 'Kind'], ['plate', '车牌', 'Plate'], ['validFrom', '起', 'From', 'time'],
          ['validUntil', '止', 'Until', 'time'], ['entriesUsed', '已用次数', 'Entries used'], ['status', '状态', 'Status']] },
    ],
  },
  parking: {
    title: ['停车', 'Parking'],
    tabs: [
      { key: 'lots', title: ['停车场', 'Lots'],
        query: '{ parkingLots { id name capacity } }',
        rows: (d) => d.parkingLots,
        columns: [['name', '名称', 'Name'], ['capacity', '车位数', 'Capacity']] },
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
