// ECharts loaded on first use (echarts-setup.js, a lazy chunk): the board's bar and gauge charts.
let loading = null

export function echarts() {
  loading = loading || import('./echarts-setup.js').then((m) => m.default)
  return loading
}

/** Draws (or redraws) `option` into `element`, reusing `previous` when it is still alive; returns the chart. */
export async function draw(element, option, previous) {
  const core = await echarts()
  const chart = previous && !previous.isDisposed() && previous.getDom() === element ? previous : core.init(element, null, { renderer: 'canvas' })
  chart.setOption(option, true)
  return chart
}
