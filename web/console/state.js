// What the shell knows about the signed-in person: who they are and the pages they may use
// (GraphQL `webPages(client: "console")`: the kernel's, the enabled plugins', by permission).
import { reactive } from 'vue'
import { gql } from '@shared/gql.js'

export const state = reactive({ me: null, pages: [], loaded: false, error: '' })

/** The route of a page: the console's own screens by key, a plugin's module under /p/. */
export function pageRoute(page) {
  return page.moduleUrl ? `/p/${page.plugin}/${page.key}` : `/${page.key}`
}

export function pageTitle(page, locale) {
  return (page.titles.find((t) => t.locale === locale) || page.titles[0]).text
}

export async function loadShell() {
  const data = await gql(`query Shell {
    me { username displayName tenantSlug tenantName roles }
    webPages(client: "console") { plugin key titles { locale text } permission moduleUrl order icon }
  }`)
  state.me = data.me
  state.pages = data.webPages
  state.loaded = true
  return data
}

export function resetShell() {
  state.me = null
  state.pages = []
  state.loaded = false
}
