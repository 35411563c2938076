// Live pages: `useLive(reload, subscriptions)` runs `reload()` (debounced) whenever one of the
// signed-in resident's subscriptions delivers something — by default `notificationReceived`
// (a notice published to my homes, my repair changing state, my bills issued: the kernel sends
// only my own inbox), plus any page-specific one (`myBillChanges`). Everything is permission-
// checked and scoped to the caller by the gateway; the page unsubscribes when it unmounts.
import { onBeforeUnmount, onMounted } from 'vue'
import { subscribe } from '@shared/gql.js'

export const INBOX = 'subscription AppInbox { notificationReceived { id } }'

export function useLive(reload, subscriptions = [INBOX], delay = 150) {
  const stops = []
  let timer = null
  const kick = () => {
    clearTimeout(timer)
    timer = setTimeout(reload, delay)
  }
  onMounted(() => {
    for (const query of subscriptions) stops.push(subscribe(query, {}, kick))
  })
  onBeforeUnmount(() => {
    clearTimeout(timer)
    for (const stop of stops.splice(0)) stop()
  })
}
