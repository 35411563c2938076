// The ECharts pieces the board draws with (bar, gauge, the buildings' scatter map), tree-shaken; charts.js imports this module
// lazily, so ECharts is a chunk of its own, fetched after the first paint.
import * as echarts from 'echarts/core'
import { BarChart, GaugeChart, ScatterChart } from 'echarts/charts'
import { GridComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([BarChart, GaugeChart, ScatterChart, GridComponent, CanvasRenderer])

export default echarts
