// The console's words in zh-CN (default) and en. Plugin pages bring their own.
const roles = {
  'zh-CN': {
    tenant_admin: '物业管理员', property_staff: '物业客服', technician: '维修技工', grid_worker: '网格员',
    committee_member: '业委会成员', owner: '业主', resident: '住户', merchant: '商户', auditor: '审计员',
  },
  en: {
    tenant_admin: 'Firm admin', property_staff: 'Property staff', technician: 'Technician', grid_worker: 'Grid worker',
    committee_member: 'Committee member', owner: 'Owner', resident: 'Resident', merchant: 'Merchant', auditor: 'Auditor',
  },
}

export default {
  'zh-CN': {
    app: { name: '邻里物业工作台', menu: '主菜单', language: '语言', signOut: '退出', dashboard: '一图感知大屏' },
    common: { empty: '暂无数据', more: '加载更多', yes: '是', no: '否', refresh: '刷新', forbidden: '您没有这项权限', actions: '操作', community: '小区', all: '全部', create: '新建', save: '保存', cancel: '取消', status: '状态', name: '名称', time: '时间' },
    login: {
      title: '登录物业工作台', firm: '物业公司代码', firmHint: '例如 demo', username: '账号', password: '密码',
      submit: '登录', code: '验证码', codeIntro: '请输入身份验证器应用中的 6 位验证码（或一个恢复码）。',
      enrolIntro: '您的角色需要双重验证：请在身份验证器应用（如腾讯身份验证器、Google Authenticator）中添加下面的密钥，然后输入它显示的 6 位验证码。',
      secret: '密钥', confirm: '确认并登录',
      recoveryIntro: '这些恢复码只显示这一次，每个可代替验证码使用一次。请打印或妥善保存。', continue: '我已保存，继续',
      badCredentials: '账号或密码错误', unknownFirm: '没有这个物业公司代码', badCode: '验证码不正确',
      codeRequired: '请输入验证码', rateLimited: '尝试次数过多，请稍后再试',
      regulatorNote: '街道办、区住建部门的监管账号：物业公司代码留空。',
    },
    welcome: { title: '欢迎', roles: '您的角色', noPages: '您还没有可用的页面', regulator: '您以 {name} 的监管账号登录：辖区内各小区、各物业公司的汇总指标和业主决定备案。' },
    regulator: { kind: { street: '街道', district: '区' } },
    roles: roles['zh-CN'],
    estate: {
      title: '房产', path: '位置', communities: '全部小区', community: '小区', code: '代码', city: '城市', district: '区县',
      building: '楼栋', floors: '层数', unit: '房号', floor: '楼层', area: '面积（㎡）', sold: '已售', owners: '业主',
    },
    people: {
      title: '人员', members: '成员', invitations: '邀请', claims: '业主认证', username: '账号', name: '姓名', roles: '角色',
      active: '在职', invite: '邀请成员', channel: '发送方式', phone: '手机号', email: '电子邮箱', send: '发送邀请',
      createdOnce: '已邀请 {contact}。邀请码和链接只显示这一次：', code: '邀请码', link: '链接', contact: '联系方式',
      status: '状态', expires: '有效期至', invitationStatus: { open: '待接受', accepted: '已接受', revoked: '已撤回', expired: '已过期', replaced: '已替换' },
      noClaims: '没有待审核的认证', evidence: '材料', register: '登记簿中的人', phoneMatches: '手机号一致', hasLogin: '已有账号',
      approveAs: '认定为 {name}', reject: '驳回', reason: '驳回原因', claimKind: { owner: '业主', resident: '住户' },
    },
    workorders: {
      title: '工单', total: '共 {n} 张', chart: '各状态工单数', assignee: '处理人', due: '时限', overdue: '已超时',
      assess: '研判', dispatch: '派单', close: '确认关闭', technician: '维修技工', auto: '自动派单（按技能、位置和负荷）',
      categoryLabel: '类别', priorityLabel: '优先级',
      state: { reported: '已上报', assessed: '已研判', dispatched: '已派单', in_progress: '处理中', resolved: '已处理', closed: '已关闭', cancelled: '已撤销' },
      category: { plumbing: '给排水', electrical: '电气', elevator: '电梯', security: '安防', fire: '消防', sanitation: '环卫', public_facility: '公共设施', greening: '绿化', noise: '噪音', parking: '停车', other: '其他' },
      priority: { low: '低', normal: '普通', high: '高', urgent: '紧急' },
    },
    plugin: { unavailable: '这个页面不可用：插件未启用，或您没有权限', failed: '页面加载失败：{message}' },
  },
  en: {
    app: { name: 'Linli console', menu: 'Main menu', language: 'Language', signOut: 'Sign out', dashboard: 'Community dashboard' },
    common: { empty: 'Nothing here', more: 'Load more', yes: 'Yes', no: 'No', refresh: 'Refresh', forbidden: 'You do not have this permission', actions: 'Actions', community: 'Community', all: 'All', create: 'New', save: 'Save', cancel: 'Cancel', status: 'Status', name: 'Name', time: 'Time' },
    login: {
      title: 'Sign in to the console', firm: 'Firm code', firmHint: 'e.g. demo', username: 'Username', password: 'Password',
      submit: 'Sign in', code: 'Code', codeIntro: 'Enter the 6-digit code of your authenticator app (or a recovery code).',
      enrolIntro: 'Your role signs in with a second factor: add the key below to an authenticator app, then enter the 6-digit code it shows.',
      secret: 'Key', confirm: 'Confirm and sign in',
      recoveryIntro: 'These recovery codes are shown once; each replaces a code one time. Print them or keep them safe.', continue: 'Saved — continue',
      badCredentials: 'Wrong username or password', unknownFirm: 'No firm has this code', badCode: 'Wrong code',
      codeRequired: 'Enter the code', rateLimited: 'Too many attempts; try again later',
      regulatorNote: 'Street office and district regulators: leave the firm code empty.',
    },
    welcome: { title: 'Welcome', roles: 'Your roles', noPages: 'No pages are available to you yet', regulator: 'Signed in as the regulator of {name}: aggregated figures of the communities and firms in your jurisdiction, and the owners\' decisions filed with you.' },
    regulator: { kind: { street: 'street', district: 'district' } },
    roles: roles.en,
    estate: {
      title: 'Estate', path: 'Location', communities: 'All communities', community: 'Community', code: 'Code', city: 'City', district: 'District',
      building: 'Building', floors: 'Floors', unit: 'Unit', floor: 'Floor', area: 'Area (m²)', sold: 'Sold', owners: 'Owners',
    },
    people: {
      title: 'People', members: 'Members', invitations: 'Invitations', claims: 'Owner claims', username: 'Username', name: 'Name', roles: 'Roles',
      active: 'Active', invite: 'Invite a member', channel: 'Send by', phone: 'Mobile', email: 'E-mail', send: 'Send invitation',
      createdOnce: '{contact} is invited. The code and link are shown this once:', code: 'Code', link: 'Link', contact: 'Contact',
      status: 'Status', expires: 'Expires', invitationStatus: { open: 'Open', accepted: 'Accepted', revoked: 'Revoked', expired: 'Expired', replaced: 'Replaced' },
      noClaims: 'No claims waiting', evidence: 'Evidence', register: 'In the register', phoneMatches: 'Phone matches', hasLogin: 'Has a login',
      approveAs: 'Approve as {name}', reject: 'Reject', reason: 'Reason', claimKind: { owner: 'Owner', resident: 'Resident' },
    },
    workorders: {
      title: 'Work orders', total: '{n} in all', chart: 'Work orders per state', assignee: 'Assignee', due: 'Due', overdue: 'Overdue',
      assess: 'Assess', dispatch: 'Dispatch', close: 'Close', technician: 'Technician', auto: 'Automatic (by skill, place and load)',
      categoryLabel: 'Category', priorityLabel: 'Priority',
      state: { reported: 'Reported', assessed: 'Assessed', dispatched: 'Dispatched', in_progress: 'In progress', resolved: 'Resolved', closed: 'Closed', cancelled: 'Cancelled' },
      category: { plumbing: 'Plumbing', electrical: 'Electrical', elevator: 'Elevator', security: 'Security', fire: 'Fire', sanitation: 'Sanitation', public_facility: 'Public facility', greening: 'Greening', noise: 'Noise', parking: 'Parking', other: 'Other' },
      priority: { low: 'Low', normal: 'Normal', high: 'High', urgent: 'Urgent' },
    },
    plugin: { unavailable: 'This page is not available: the plugin is not enabled, or you lack the permission', failed: 'The page failed to load: {message}' },
  },
}
