// What the app knows about the signed-in resident: who they are, their homes, the pages plugins
// contribute to the app (GraphQL `webPages(client: "app")`, by permission and enablement), and
// elderly mode (remembered in this browser, applied as a class on <html>).
import { reactive } from 'vue'
import { gql } from '@shared/gql.js'

const ELDERLY = 'linli.app.elderly'

export const state = reactive({
  me: null, homes: [], pages: [], loaded: false, error: '',
  elderly: localStorage.getItem(ELDERLY) === '1',
})

export function applyElderly() {
  document.documentElement.classList.toggle('elderly', state.elderly)
}

export function setElderly(on) {
  state.elderly = on
  localStorage.setItem(ELDERLY, on ? '1' : '0')
  applyElderly()
}

/** Whether the login is an owner's or a resident's (a care contact's is neither: no home pages). */
export function isResident() {
  return (state.me?.roles || []).some((r) => r === 'owner' || r === 'resident')
}

export function pageTitle(page, locale) {
  return (page.titles.find((t) => t.locale === locale) || page.titles[0]).text
}

export async function loadShell() {
  const data = await gql(`query AppShell {
    me { username displayName tenantSlug tenantName roles }
    webPages(client: "app") { plugin key titles { locale text } permission moduleUrl order icon }
  }`)
  state.me = data.me
  state.pages = data.webPages.filter((p) => p.moduleUrl)
  state.homes = await loadHomes()
  state.loaded = true
  return data
}

/** The units I own and those I live in (an owner who lets their flat lives elsewhere); none for
 * a login without a home (a care contact: FORBIDDEN is no home, not an error). */
async function loadHomes() {
  try {
    const data = await gql(`query MyHomes { myUnits { id number buildingName } myHomes { unitId number buildingName kind } }`)
    const homes = data.myUnits.map((u) => ({ unitId: u.id, number: u.number, buildingName: u.buildingName, kind: 'owner' }))
    for (const h of data.myHomes) if (!homes.some((o) => o.unitId === h.unitId)) homes.push(h)
    return homes
  } catch (error) {
    if (error.code === 'FORBIDDEN') return []
    throw error
  }
}

export function resetShell() {
  state.me = null
  state.homes = []
  state.pages = []
  state.loaded = false
}
