// The board's data: one GraphQL query for the initial state, composed of the fields the kernel
// and the plugins already have (each permission-checked and tenant-isolated where it is defined),
// with only the panels the person may see — the same rule as the console's menu (webPages of the
// console: the plugin enabled for the firm, the page's permission held). Should the whole query
// fail anyway (one non-null field FORBIDDEN nulls every other), each panel is asked for alone and
// the failing ones show a dash.
import { client, GqlError } from '@shared/gql.js'

export const START = `query DashboardStart {
  communities(first: 100) { edges { node { id name } } }
  consolePages: webPages(client: "console") { plugin key }
  widgets: webPages(client: "dashboard") { plugin key titles { locale text } moduleUrl order }
}`

const STATUSES = ['reported', 'assessed', 'dispatched', 'in_progress', 'resolved', 'closed']

/** Each panel: the console page that shows the same data (null: every signed-in staff) and its fields. */
export const PANELS = {
  estate: { page: null, fields: `community(id: $c) { id name city district buildings(first: 100) { totalCount edges { node { id name floors latitude longitude } } } }` },
  devices: { page: 'devices', fields: `devices(communityId: $c, revoked: false, first: 100) { edges { node { id name online buildingId } }
    pageInfo { hasNextPage endCursor } }` },
  alarms: { page: 'alarms', fields: `alarms(communityId: $c, openOnly: true, first: 100) { totalCount edges { node { id rule severity status raisedAt
    device { id name communityId buildingId } } } }` },
  workorders: { page: 'workorders', fields: `workOrderStats(communityId: $c) { total open closed cancelled closureRateBp meanResolutionSeconds }
    ${STATUSES.map((s) => `wo_${s}: workOrders(communityId: $c, status: ${s}, first: 1) { totalCount }`).join('\n    ')}` },
  fees: { page: 'fees', fields: `collectionStats(communityId: $c) { bills paidBills billed collected outstanding rateBp }` },
  governance: { page: 'governance', fields: `proposals(communityId: $c, first: 50) { edges { node { id title status votingEndsAt
    tally { totalPersons participatingPersons totalArea participatingArea participationReached } } } }` },
  funds: { page: 'funds', fields: `fundCommunityStatement(communityId: $c) { fundBalanceFen depositsFen interestFen revenueReceivedFen disbursedFen emergencyFen subLedgerCount }` },
}

export { STATUSES }

export function query(names) {
  const fields = names.map((n) => PANELS[n].fields).join('\n  ')
  // GraphQL refuses a declared variable no field uses (kept general: a panel may read the whole firm)
  return `query Dashboard${fields.includes('$c') ? '($c: ID!)' : ''} {\n  ${fields}\n}`
}

async function raw(text, variables) {
  const result = await client.query(text, variables).toPromise()
  if (result.error && !result.data) throw new GqlError(result.error)
  return { data: result.data || {}, error: result.error ? new GqlError(result.error) : null }
}

/** The panels `names` of community `c`: `{ data, failed }` (failed: the panels that answered an error). */
export async function loadPanels(names, c) {
  const first = await raw(query(names), { c }).catch((e) => ({ data: null, error: e }))
  if (first.data && !first.error) return { data: first.data, failed: [] }
  if (first.error?.code === 'UNAUTHENTICATED') throw first.error
  const data = {}
  const failed = []
  await Promise.all(names.map(async (n) => {
    try {
      const one = await raw(query([n]), { c })
      if (one.error) failed.push(n)
      Object.assign(data, one.data)
    } catch (e) {
      if (e.code === 'UNAUTHENTICATED') throw e
      failed.push(n)
    }
  }))
  return { data, failed }
}

/** The community's devices after the first page (a community with more than 100 of them). */
export async function moreDevices(c, after) {
  const found = []
  for (let page = 0; after && page < 50; page += 1) {
    const one = await raw(`query More($c: ID!, $a: String) { devices(communityId: $c, revoked: false, first: 100, after: $a) {
      edges { node { id name online buildingId } } pageInfo { hasNextPage endCursor } } }`, { c, a: after })
    found.push(...one.data.devices.edges.map((e) => e.node))
    after = one.data.devices.pageInfo.hasNextPage ? one.data.devices.pageInfo.endCursor : null
  }
  return found
}

export async function start() {
  const result = await client.query(START, {}).toPromise()
  if (result.error) throw new GqlError(result.error)
  return result.data
}
