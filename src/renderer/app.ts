/**
 * Wires the page to a TensorfApi: every ServerMessage goes to the panels, the viewport, the chart
 * or the test-view images. `startApp` returns a function that tears it all down.
 */
import type { TensorfApi } from '../protocol/api';
import type { ServerMessage } from '../protocol/messages';
import { CONNECTION_REQUEST } from './bridge';
import { fovYFromAngleX } from './camera-math';
import { renderChart } from './chart';
import { ChartData } from './chart-data';
import { byTestId } from './dom';
import { Panels } from './panels';
import { hasModel } from './status';
import { showTestView } from './test-view';
import { Viewport } from './viewport';

const CHART_REDRAW_MS = 200;

export function startApp(root: ParentNode, api: TensorfApi): () => void {
  const viewportEl = byTestId(root, 'viewport');
  const hint = byTestId(root, 'viewport-hint');
  const svg = byTestId<SVGSVGElement>(root, 'chart');
  const testImages = byTestId(root, 'test-view-images');
  const chart = new ChartData();
  let chartTimer: ReturnType<typeof setTimeout> | null = null;
  const drawChart = (now = false) => {
    if (now) {
      if (chartTimer) clearTimeout(chartTimer);
      chartTimer = null;
      renderChart(svg, chart);
    } else if (!chartTimer) {
      chartTimer = setTimeout(() => drawChart(true), CHART_REDRAW_MS);
    }
  };

  // The viewport asks for frames in the output the panel shows at the time of the request.
  let panels: Panels | null = null;
  const viewport = new Viewport(viewportEl, (id, camera, quality) => api.render(id, camera, panels?.outputKind ?? 'rgb', quality));
  panels = new Panels(root, api, () => viewport.refresh());
  const p = panels;
  drawChart(true);

  const onState = (state: Parameters<Panels['setState']>[0]) => {
    viewport.setState(state);
    hint.hidden = hasModel(state);
  };

  const handle = (m: ServerMessage): void => {
    switch (m.type) {
      case 'hello':
        p.hello(m);
        onState(m.state);
        break;
      case 'state':
        if (m.state === 'loading') p.clearMessage(); // a new run: old errors and crashes are history
        p.setState(m.state, m.detail);
        onState(m.state);
        break;
      case 'event':
        p.event(m.event);
        if (m.event.type === 'started') {
          chart.clear();
          drawChart(true);
        } else if (m.event.type === 'step') {
          chart.addTrain(m.event.iteration, m.event.trainPSNR);
          drawChart();
        } else if (m.event.type === 'eval') {
          chart.addTest(m.event.iteration, m.event.testPSNR);
          drawChart(true);
        }
        break;
      case 'scene':
        p.clearMessage('error');
        viewport.setScene(m.scene);
        p.sceneOpened(m.scene.path, m.scene.testPoses.length);
        break;
      case 'history': {
        p.clearMessage('error');
        chart.replace(m.points);
        drawChart(true);
        p.historyTestPsnr(chart.test.at(-1)?.y);
        break;
      }
      case 'frame':
        viewport.showFrame(m);
        break;
      case 'testView':
        viewport.setPose(m.pose, fovYFromAngleX(m.cameraAngleX, m.render.width / m.render.height));
        showTestView(testImages, m);
        break;
      case 'error':
        if (m.request === 'render') viewport.scheduler.failed();
        p.showMessage(m.message, m.request === CONNECTION_REQUEST ? 'connection' : 'error');
        break;
      case 'crash':
        p.showMessage(m.message, 'crash');
        break;
    }
  };
  const unsubscribe = api.onMessage((m) => {
    try {
      handle(m);
    } catch (e) {
      console.error('tensorf: failed to handle a server message', m.type, e);
    }
  });

  return () => {
    unsubscribe();
    if (chartTimer) clearTimeout(chartTimer);
    viewport.dispose();
  };
}
