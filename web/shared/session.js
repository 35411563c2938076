// The signed-in session of a web client: tokens in sessionStorage (gone with the tab), the firm's
// code remembered in localStorage (a convenience, not a secret). Refreshes the access token a
// minute before it expires (the refresh token rotates; a reused one signs the account out).
const KEY = 'linli.console.session'
const FIRM = 'linli.console.firm'

export function loadSession() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || 'null')
  } catch {
    return null
  }
}

export function saveSession(auth, firm) {
  const session = {
    accessToken: auth.accessToken,
    refreshToken: auth.refreshToken,
    expiresAt: Date.now() + auth.expiresIn * 1000,
    firm,
  }
  sessionStorage.setItem(KEY, JSON.stringify(session))
  if (firm) localStorage.setItem(FIRM, firm)
  return session
}

export function clearSession() {
  sessionStorage.removeItem(KEY)
}

export function rememberedFirm() {
  return new URLSearchParams(location.search).get('tenant') || localStorage.getItem(FIRM) || ''
}

const REFRESH = `mutation Refresh($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken expiresIn tenantId } }`
let refreshing = null

/** The current access token, refreshed first when it expires within a minute (null: signed out). */
export async function accessToken() {
  const session = loadSession()
  if (!session) return null
  if (session.expiresAt - Date.now() > 60_000) return session.accessToken
  refreshing = refreshing || (async () => {
    const r = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: REFRESH, variables: { t: session.refreshToken } }),
    })
    const body = await r.json()
    if (body.errors || !body.data) {
      clearSession()
      return null
    }
    return saveSession(body.data.refreshToken, session.firm).accessToken
  })().finally(() => { refreshing = null })
  return refreshing
}
