// What the shell knows about the signed-in person: who they are and the pages they may use
// (GraphQL `webPages(client: "console")`: the kernel's, the enabled plugins', by permission).
import { reactive } from 'vue'
import { gql } from '@shared/gql.js'
import { loadSession } from '@shared/session.js'

export const state = reactive({ me: null, regulator: null, pages: [], loaded: false, error: '' })

/** The route of a page: the console's own screens by key, a plugin's module under /p/. */
export function pageRoute(page) {
  return page.moduleUrl ? `/p/${page.plugin}/${page.key}` : `/${page.key}`
}

export function pageTitle(page, locale) {
  return (page.titles.find((t) => t.locale === locale) || page.titles[0]).text
}

const PAGES = 'webPages(client: "console") { plugin key titles { locale text } permission moduleUrl order icon }'

/** A street office's regulator account (signed in without a firm): its jurisdiction and its own
 * pages (webPages gives a regulator the KPIs and the filings inbox, nothing of a firm's). */
async function loadRegulator() {
  const data = await gql(`query RegulatorShell { myJurisdiction { code name kind streets { code name } } ${PAGES} }`)
  state.regulator = data.myJurisdiction
  state.me = null
  state.pages = data.webPages
  state.loaded = true
  return data
}

export async function loadShell() {
  if (!loadSession()?.firm) {
    try {
      return await loadRegulator()
    } catch (error) {
      if (error.code !== 'FORBIDDEN' && error.code !== 'UNAUTHENTICATED') throw error
      // not a regulator (a platform operator, or a firm's account without the firm's code): staff
    }
  }
  const data = await gql(`query Shell {
    me { username displayName tenantSlug tenantName roles }
    ${PAGES}
  }`)
  state.regulator = null
  state.me = data.me
  state.pages = data.webPages
  state.loaded = true
  return data
}

export function resetShell() {
  state.me = null
  state.regulator = null
  state.pages = []
  state.loaded = false
}
