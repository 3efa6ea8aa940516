/**
 * An ECharts chart. Tooltips are drawn on the canvas (renderMode richText): ECharts' HTML
 * tooltips carry inline style attributes, which the server's CSP refuses.
 */
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, TitleComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, TitleComponent, CanvasRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

export function Chart({ option, testId }: { option: ChartOption; testId?: string }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    if (!el.current) return;
    const c = echarts.init(el.current, undefined, { renderer: 'canvas' });
    chart.current = c;
    const onResize = () => c.resize();
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      c.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    const withTooltip = { ...option, tooltip: { trigger: 'axis', renderMode: 'richText', ...((option as { tooltip?: object }).tooltip ?? {}) } };
    chart.current?.setOption(withTooltip, true);
  }, [option]);
  return <div ref={el} className="yb-chart" data-testid={testId} />;
}
