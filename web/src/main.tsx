/**
 * The console's entry, made to run under the server's `style-src 'self'`:
 * - Ant Design in zero-runtime mode: its component styles come from the bundled antd.css, whose
 *   selectors name the CSS-variable scope `css-var-_R_0_`, so the root theme uses that key;
 * - the little CSS antd still writes at run time (token variables, a modal's scroll lock) goes
 *   into constructed style sheets instead of <style> elements (csp/dynamic-css.ts, swapped in
 *   by the build);
 * - wave effects (which write styles) are off; ECharts draws its tooltips on the canvas.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App as AntApp, ConfigProvider } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import 'antd/dist/antd.css';
import './console.css';
import { Router } from './router';
import { Shell } from './Shell';

dayjs.locale('zh-cn');

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ConfigProvider locale={zhCN} theme={{ zeroRuntime: true, cssVar: { key: 'css-var-_R_0_' } }} wave={{ disabled: true }}>
      <AntApp>
        <Router>
          <Shell />
        </Router>
      </AntApp>
    </ConfigProvider>
  </StrictMode>,
);
