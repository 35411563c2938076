// The GraphQL client every web client uses: @urql/core over fetch for queries and mutations,
// graphql-ws (graphql-transport-ws) for subscriptions, authenticated with the session's bearer
// token (on the WebSocket in connection_init, as the gateway expects).
import { Client, fetchExchange, subscriptionExchange } from '@urql/core'
import { createClient as createWsClient } from 'graphql-ws'
import { accessToken } from './session.js'

/** A coded GraphQL error: `code` (UNAUTHENTICATED, FORBIDDEN…), `reason` and the extensions. */
export class GqlError extends Error {
  constructor(error) {
    const first = error.graphQLErrors?.[0]
    super(first?.message || error.networkError?.message || error.message)
    this.code = first?.extensions?.code || (error.networkError ? 'NETWORK' : 'UNKNOWN')
    this.reason = first?.extensions?.reason
    this.extensions = first?.extensions || {}
  }
}

let ws = null

function wsClient() {
  if (!ws) {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`
    ws = createWsClient({
      url,
      lazy: true,
      retryAttempts: 5,
      connectionParams: async () => ({ Authorization: `Bearer ${await accessToken()}` }),
    })
  }
  return ws
}

export const client = new Client({
  url: '/graphql',
  requestPolicy: 'network-only',
  preferGetMethod: false,
  fetch: async (input, init = {}) => {
    const token = await accessToken()
    const headers = new Headers(init.headers)
    if (token) headers.set('authorization', `Bearer ${token}`)
    return fetch(input, { ...init, headers })
  },
  exchanges: [
    fetchExchange,
    subscriptionExchange({
      forwardSubscription: (request) => ({
        subscribe: (sink) => ({ unsubscribe: wsClient().subscribe({ ...request, query: request.query || '' }, sink) }),
      }),
    }),
  ],
})

/** Runs a query (or, with `mutation: true`, a mutation); resolves to `data`, rejects with GqlError. */
export async function gql(query, variables = {}, { mutation = false } = {}) {
  const run = mutation || /^\s*mutation\b/.test(query) ? client.mutation(query, variables) : client.query(query, variables)
  const result = await run.toPromise()
  if (result.error) throw new GqlError(result.error)
  return result.data
}

/** Subscribes; `onData(data)` for each event; returns a function that unsubscribes. */
export function subscribe(query, variables, onData) {
  const { unsubscribe } = client.subscription(query, variables).subscribe((result) => {
    if (!result.error) onData(result.data)
  })
  return unsubscribe
}

/** Listens to the WebSocket's `connected`, `closed` or `error` events; returns a function that stops. */
export function onSocket(event, listener) {
  return wsClient().on(event, listener)
}

/** Closes the WebSocket (on sign-out: the next subscription connects with the new token). */
export function disconnect() {
  if (ws) ws.dispose()
  ws = null
}
