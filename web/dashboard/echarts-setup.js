// The ECharts pieces the board draws with (bar, gauge), tree-shaken; charts.js imports this module
// lazily, so ECharts is a chunk of its own, fetched after the first paint.
import * as echarts from 'echarts/core'
import { BarChart, GaugeChart } from 'echarts/charts'
import { GridComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([BarChart, GaugeChart, GridComponent, CanvasRenderer])

export default echarts
