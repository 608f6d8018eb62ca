/**
 * Wires the page to a TensorfApi: every ServerMessage goes to the panels, the viewport, the
 * compare view, the chart or the test-view images. `startApp` returns a function that tears it
 * all down. The page has two modes: Train (the single viewport) and Compare (one viewport per
 * decoder entry and the comparison's table); the status panel and chart follow whatever trains.
 */
import type { TensorfApi } from '../protocol/api';
import type { ServerMessage } from '../protocol/messages';
import { CONNECTION_REQUEST } from './bridge';
import { fovYFromAngleX } from './camera-math';
import { CameraLink } from './camera-link';
import { routeFrame } from './compare-rows';
import { CompareViews } from './compare-view';
import { renderChart, renderLegend } from './chart';
import { ChartData, SINGLE_RUN } from './chart-data';
import { byTestId } from './dom';
import { Panels } from './panels';
import { RecordPanel } from './record-panel';
import { hasModel } from './status';
import { showTestView } from './test-view';
import { Viewport } from './viewport';
import { psnrAgainst } from './shader/view-psnr';

const CHART_REDRAW_MS = 200;

export type Mode = 'train' | 'compare';

/** The shader view's PSNR of a snapped test view (null when the shader view is off), with the iteration of the model it drew. */
function shaderPsnr(viewport: Viewport, m: Extract<ServerMessage, { type: 'testView' }>): { psnr: number; iteration: number } | null {
  const snap = viewport.shader?.snapshot;
  const { width, height } = m.truth;
  const rgb = viewport.shader?.renderRgb(m.pose, (0.5 * width) / Math.tan(0.5 * m.cameraAngleX), width, height);
  return snap && rgb ? { psnr: psnrAgainst(rgb, m.truth), iteration: snap.iteration } : null;
}

export function startApp(root: ParentNode, api: TensorfApi): () => void {
  const viewportEl = byTestId(root, 'viewport');
  const hint = byTestId(root, 'viewport-hint');
  const svg = byTestId<SVGSVGElement>(root, 'chart');
  const lossSvg = byTestId<SVGSVGElement>(root, 'loss-chart');
  const legend = byTestId(root, 'chart-legend');
  const lossLegend = byTestId(root, 'loss-legend');
  const testImages = byTestId(root, 'test-view-images');
  const chart = new ChartData();
  let chartTimer: ReturnType<typeof setTimeout> | null = null;
  const drawChart = (now = false) => {
    if (now) {
      if (chartTimer) clearTimeout(chartTimer);
      chartTimer = null;
      renderChart(svg, chart, 'psnr');
      renderChart(lossSvg, chart, 'loss');
      renderLegend(legend, chart, 'psnr');
      renderLegend(lossLegend, chart, 'loss');
    } else if (!chartTimer) {
      chartTimer = setTimeout(() => drawChart(true), CHART_REDRAW_MS);
    }
  };

  // The viewports ask for frames in the output the panel shows at the time of the request.
  // All of them share one camera: the entries' viewports, and the main one (a mode switch keeps the view).
  let panels: Panels | null = null;
  const link = new CameraLink();
  const outputKind = () => panels?.outputKind ?? 'rgb';
  const viewport = new Viewport(viewportEl, (id, camera, quality) => api.render(id, camera, outputKind(), quality), link, {
    shader: true,
    outputKind,
  });
  const compare = new CompareViews(root, api, link, outputKind);
  // Space in the focused viewport is the Pause/Resume button (so it does only what the button may do now)
  const pauseButton = byTestId<HTMLButtonElement>(root, 'pause');
  viewport.onPauseKey = () => {
    if (!pauseButton.disabled) pauseButton.click();
  };
  panels = new Panels(
    root,
    api,
    () => {
      viewport.refresh();
      compare.refresh();
    },
    () => compare.starting(),
    (shown) => {
      viewport.setCamerasShown(shown.train, shown.test);
      compare.setCamerasShown(shown.train, shown.test);
    },
  );
  const p = panels;
  const maxSide = byTestId<HTMLSelectElement>(root, 'max-frame-side');
  const applyMaxSide = () => viewport.setMaxSide(Number(maxSide.value));
  maxSide.addEventListener('change', applyMaxSide);
  applyMaxSide();
  const recorder = new RecordPanel(root, api, () => viewport.view());
  viewport.setCamerasShown(p.camerasShown.train, p.camerasShown.test);
  compare.setCamerasShown(p.camerasShown.train, p.camerasShown.test);
  // The first page of a session opens the form's scene (its cameras and summary at once): after the
  // hello burst (hello, scene, history, compare, state), when no scene came with it.
  let sceneSeen = false;
  let greeted = false;
  drawChart(true);

  const appEl = byTestId(root, 'app');
  const modeButtons: Record<Mode, HTMLButtonElement> = { train: byTestId(root, 'mode-train'), compare: byTestId(root, 'mode-compare') };
  let mode: Mode = 'train';
  let modeChosen = false; // a comparison arriving switches to Compare unless the user picked a mode
  const setMode = (next: Mode) => {
    mode = next;
    appEl.dataset.mode = next; // first: a viewport shown measures its new size
    for (const [k, b] of Object.entries(modeButtons)) b.setAttribute('aria-selected', String(k === next));
    viewport.setActive(next === 'train');
    compare.setActive(next === 'compare');
  };
  for (const [k, b] of Object.entries(modeButtons) as [Mode, HTMLButtonElement][]) {
    b.addEventListener('click', () => {
      modeChosen = true;
      setMode(k);
    });
  }
  setMode('train');

  const onState = (state: Parameters<Panels['setState']>[0]) => {
    viewport.setState(state);
    recorder.setState(state);
    compare.setSessionState(state);
    hint.hidden = hasModel(state);
  };

  const handle = (m: ServerMessage): void => {
    switch (m.type) {
      case 'hello':
        p.hello(m);
        onState(m.state);
        greeted = true;
        if (viewport.shader?.supported) api.watchModel(true); // this page ray-marches the model itself
        break;
      case 'model':
        viewport.showModel(m.snapshot);
        break;
      case 'state':
        if (greeted && !sceneSeen && p.scenePath !== '') api.openScene(p.scenePath);
        greeted = false;
        if (m.state === 'loading') {
          viewport.clearModel(); // the last run's model is not the one loading
          p.clearMessage(); // a new run: old errors and crashes are history
          chart.clear(); // and so are the last run's curves
          drawChart(true);
        }
        p.setState(m.state, m.detail);
        onState(m.state);
        break;
      case 'event':
        p.event(m.event);
        if (m.event.type === 'started') {
          // a single training replaces the curves; a comparison's entry joins its entries'
          if (m.entry === undefined) chart.clear();
          else chart.clearRun(m.entry);
          drawChart(true);
        } else if (m.event.type === 'step') {
          chart.addStep(m.entry ?? SINGLE_RUN, m.event.iteration, m.event.trainPSNR, m.event.loss);
          drawChart();
        } else if (m.event.type === 'eval') {
          chart.addEval(m.entry ?? SINGLE_RUN, m.event.iteration, m.event.testPSNR, m.event.final, m.event.views);
          drawChart(true);
        }
        break;
      case 'scene':
        p.clearMessage('error');
        viewport.setScene(m.scene);
        compare.setScene(m.scene);
        p.sceneOpened(m.scene);
        sceneSeen = true;
        break;
      case 'history': {
        p.clearMessage('error');
        if (m.entry === undefined) chart.clear(); // a single run's (or an opened run's) curves replace all
        chart.replace(m.entry ?? SINGLE_RUN, m.points);
        drawChart(true);
        p.history(m);
        viewport.scheduler.modelChanged(); // an opened run: its picture now, not at the next camera move
        break;
      }
      case 'frame': {
        const route = routeFrame(m, (label) => compare.has(label));
        const shown = route.to === 'main' ? viewport.showFrame(m) : route.to === 'entry' && compare.showFrame(m);
        if (shown) p.renderSucceeded();
        break;
      }
      case 'compare':
        compare.update(m);
        if (!modeChosen && mode !== 'compare') setMode('compare');
        break;
      case 'testView':
        // the cameras are linked: the compare view's entries move there too
        viewport.setPose(m.pose, fovYFromAngleX(m.cameraAngleX, m.render.width / m.render.height));
        showTestView(testImages, m, shaderPsnr(viewport, m));
        break;
      case 'error':
        if (m.request === 'render') {
          viewport.scheduler.failed();
          compare.renderFailed();
        } else if (m.request === 'record') {
          recorder.failed(m.message);
        } else if (m.request === 'compare' || m.request === undefined) {
          compare.startFailed(); // a refused comparison (or message): the entries shown go on
        }
        p.showMessage(m.message, m.request === CONNECTION_REQUEST ? 'connection' : 'error', m.request === 'render' ? 'render' : 'server');
        break;
      case 'backends':
        p.backendsFound(m.backends);
        break;
      case 'crash':
        p.showMessage(m.message, 'crash');
        break;
      case 'recording':
        recorder.recording(m);
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
    compare.dispose();
    viewport.dispose();
    recorder.dispose();
  };
}
