// GraphiQL from npm (graphiql + @graphiql/toolkit), bundled: nothing comes from a CDN. Queries go
// to /graphql over fetch, subscriptions over graphql-transport-ws; paste a bearer token into the
// headers tab ({"Authorization": "Bearer …"}) — it is sent on the WebSocket's connection_init too.
import { createElement } from 'react'
import { createRoot } from 'react-dom/client'
import { GraphiQL } from 'graphiql'
import { createGraphiQLFetcher } from '@graphiql/toolkit'
import { createClient } from 'graphql-ws'
import 'graphiql/graphiql.css'

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`
let headers = {}

const fetcher = createGraphiQLFetcher({ url: '/graphql' })

// a WebSocket per subscription, so that the headers typed in the editor reach connection_init
function subscriptionFetcher(params, opts) {
  headers = opts?.headers || {}
  const client = createClient({ url: wsUrl, lazy: true, connectionParams: () => headers })
  return {
    subscribe(sink) {
      const dispose = client.subscribe(params, {
        next: (v) => sink.next && sink.next(v),
        error: (e) => sink.error && sink.error(e),
        complete: () => { sink.complete && sink.complete(); client.dispose() },
      })
      return { unsubscribe: () => { dispose(); client.dispose() } }
    },
  }
}

function linliFetcher(params, opts) {
  if (/^\s*subscription\b/m.test(params.query || '') && !/^\s*(query|mutation)\b/m.test(params.query || '')) {
    return subscriptionFetcher(params, opts)
  }
  return fetcher(params, opts)
}

const defaultQuery = `# Linli GraphQL. Log in (admins add secondFactor: "<the app's 6-digit code>"),
# then put the token into Headers: {"Authorization": "Bearer <accessToken>"}
mutation Login {
  login(username: "demo-staff", password: "linli-demo-2026", tenant: "demo") {
    accessToken
    expiresIn
  }
}
`

createRoot(document.getElementById('graphiql')).render(
  createElement(GraphiQL, { fetcher: linliFetcher, defaultQuery, shouldPersistHeaders: false }),
)
