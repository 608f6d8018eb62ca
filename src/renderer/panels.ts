/**
 * The left column: training options and buttons, live status, and the message area. Sends
 * through the TensorfApi; reads nothing from the Node side except what app.ts hands it.
 */
import { BACKEND_NAMES, DECODER_NAMES, PRESETS, PRESET_NAMES, type PresetName, type TrainConfig } from '../core/config';
import type { TensorfApi } from '../protocol/api';
import type { BackendChoice, OutputKind, SceneInfo, ServerMessage, SessionState } from '../protocol/messages';
import { sceneSummary } from './scene-summary';
import type { TrainEvent } from '../core/train/events';
import { COMPARE_DEFAULT_DECODERS, checkDecoders, compareConfig } from './compare-rows';
import { byTestId, setOptionStates, setOptions } from './dom';
import { backendOptions } from './backend-choice';
import { BACKEND_DEFAULT, PRESET_LABELS, presetChoices } from './preset-choice';
import { EMPTY_STATUS, type StatusFields, applyEvent, applyHistory, applyState, controlsFor } from './status';
import { configProblem, isConfigError } from './form-check';

type Hello = Extract<ServerMessage, { type: 'hello' }>;
export type MessageKind = 'error' | 'crash' | 'connection';

const STATUS_IDS: Record<keyof StatusFields, string> = {
  iteration: 'iteration',
  loss: 'loss',
  trainPsnr: 'train-psnr',
  itsPerS: 'its-per-s',
  eta: 'eta',
  backend: 'backend-used',
  state: 'state',
  testPsnr: 'test-psnr',
  checkpoint: 'checkpoint-saved',
};

export const CRASH_PREFIX = 'training process crashed: ';

export class Panels {
  state: SessionState | null = null;
  private status: StatusFields = { ...EMPTY_STATUS };
  private filled = false;
  private foundBackends: BackendChoice[] = [];
  private snapId = 0;
  private readonly scene: HTMLInputElement;
  private readonly decoder: HTMLSelectElement;
  private readonly width: HTMLInputElement;
  private readonly preset: HTMLSelectElement;
  private readonly iterations: HTMLInputElement;
  private readonly backend: HTMLSelectElement;
  private readonly output: HTMLSelectElement;
  private readonly testView: HTMLInputElement;
  private readonly message: HTMLElement;
  private readonly decoders: HTMLInputElement;
  private readonly showTrain: HTMLInputElement;
  private readonly showTest: HTMLInputElement;
  private readonly buttons: Record<
    'start' | 'compare' | 'pause' | 'stop' | 'evaluate' | 'openScene' | 'openRun' | 'snap' | 'resumeRun' | 'saveCheckpoint',
    HTMLButtonElement
  >;

  constructor(
    private readonly root: ParentNode,
    api: TensorfApi,
    onOutput: (output: OutputKind) => void,
    onCompare: () => void = () => {},
    onCameras: (shown: { train: boolean; test: boolean }) => void = () => {},
  ) {
    const q = <T extends Element = HTMLElement>(id: string) => byTestId<T>(root, id);
    this.scene = q('scene');
    this.decoder = q('decoder');
    this.width = q('decoder-width');
    this.preset = q('preset');
    this.iterations = q('iterations');
    this.backend = q('backend');
    this.output = q('output');
    this.testView = q('test-view');
    this.message = q('message');
    this.decoders = q('compare-decoders');
    this.showTrain = q('show-train-cameras');
    this.showTest = q('show-test-cameras');
    for (const box of [this.showTrain, this.showTest]) box.addEventListener('change', () => onCameras(this.camerasShown));
    if (this.decoders.value.trim() === '') this.decoders.value = COMPARE_DEFAULT_DECODERS;
    this.buttons = {
      start: q('start'),
      compare: q('compare-start'),
      pause: q('pause'),
      stop: q('stop'),
      evaluate: q('evaluate'),
      openScene: q('open-scene'),
      openRun: q('open-run'),
      snap: q('snap'),
      resumeRun: q('resume-run'),
      saveCheckpoint: q('save-checkpoint'),
    };
    setOptions(this.decoder, DECODER_NAMES);
    setOptions(this.preset, presetChoices(PRESET_NAMES), PRESET_LABELS);
    setOptions(this.backend, BACKEND_NAMES);
    this.fillPreset();

    this.preset.addEventListener('change', () => this.fillPreset());
    this.output.addEventListener('change', () => onOutput(this.outputKind));
    this.buttons.start.addEventListener('click', () => {
      const config = this.startConfig();
      const why = configProblem(config);
      if (why !== null) this.showMessage(why, 'error', 'form');
      else api.start(config);
    });
    // a form error goes once the form is right again (checked as the Node side will check it)
    for (const field of [this.scene, this.decoder, this.width, this.preset, this.iterations, this.backend]) {
      field.addEventListener('input', () => this.formEdited());
      field.addEventListener('change', () => this.formEdited());
    }
    this.buttons.compare.addEventListener('click', () => {
      const why = checkDecoders(this.decoders.value);
      if (why !== null) this.showMessage(why, 'error');
      else {
        onCompare();
        api.compare(this.decoders.value.trim(), compareConfig(this.startConfig()));
      }
    });
    this.buttons.pause.addEventListener('click', () => (this.state === 'paused' ? api.resume() : api.pause()));
    this.buttons.stop.addEventListener('click', () => api.stop());
    this.buttons.evaluate.addEventListener('click', () => api.evaluate());
    this.buttons.openScene.addEventListener('click', () => api.openScene(this.scene.value.trim()));
    const runPath = q<HTMLInputElement>('run-path');
    this.buttons.openRun.addEventListener('click', () => api.openRun(runPath.value.trim()));
    this.buttons.resumeRun.addEventListener('click', () => api.resumeRun(runPath.value.trim()));
    this.buttons.saveCheckpoint.addEventListener('click', () => api.saveCheckpoint());
    q('test-view-close').addEventListener('click', () => q('test-view-images').replaceChildren()); // an empty overlay hides (style.css)
    this.buttons.snap.addEventListener('click', () => {
      const view = Math.max(0, Math.floor(Number(this.testView.value) || 0));
      api.snapTestView(++this.snapId, view);
    });
    this.renderStatus();
    this.renderControls();
  }

  get outputKind(): OutputKind {
    return this.output.value as OutputKind;
  }

  /** The training options of the form, as a `start` message carries them. */
  startConfig(): Partial<TrainConfig> {
    const config: Partial<TrainConfig> = {
      data: this.scene.value.trim(),
      decoder: this.decoder.value as TrainConfig['decoder'],
      decoderWidth: this.width.value.trim() === '' ? 0 : Number(this.width.value),
      backend: this.backend.value as TrainConfig['backend'],
    };
    if (this.preset.value !== BACKEND_DEFAULT) config.preset = this.preset.value as PresetName; // else the backend's, as the CLI
    if (this.iterations.value.trim() !== '') config.iterations = Number(this.iterations.value);
    return config;
  }

  hello(m: Hello): void {
    if (m.decoders.length > 0) setOptions(this.decoder, m.decoders);
    if (m.presets.length > 0) setOptions(this.preset, presetChoices(m.presets), PRESET_LABELS);
    if (m.backends.length > 0) setOptions(this.backend, m.backends);
    if (!this.filled) {
      // Only the first hello fills the form: a reconnect must not undo the user's edits.
      this.filled = true;
      const d = m.defaults;
      if (typeof d.data === 'string') this.scene.value = d.data;
      if (d.decoder) this.decoder.value = d.decoder;
      if (typeof d.decoderWidth === 'number') this.width.value = String(d.decoderWidth);
      if (d.backend) this.backend.value = d.backend;
      if (d.preset) this.preset.value = d.preset;
      if (typeof d.iterations === 'number') this.iterations.value = String(d.iterations);
      else this.fillPreset();
      if (m.compareDecoders) this.decoders.value = m.compareDecoders;
    }
    this.applyBackends(); // options replaced: keep what the process found
    this.clearMessage('connection');
    this.setState(m.state, '');
  }

  /** The training process says which backends can start: the others are offered disabled, with the reason as tooltip. */
  backendsFound(found: BackendChoice[]): void {
    this.foundBackends = found;
    this.backend.dataset.probed = 'true';
    this.applyBackends();
  }

  private applyBackends(): void {
    const values = Array.from(this.backend.options, (o) => o.value);
    const { options, selected } = backendOptions(values, this.foundBackends, this.backend.value);
    setOptionStates(this.backend, options);
    this.backend.value = selected;
  }

  setState(state: SessionState, detail: string): void {
    this.state = state;
    this.status = applyState(this.status, state);
    byTestId(this.root, 'state-detail').textContent = detail;
    this.renderStatus();
    this.renderControls();
  }

  event(e: TrainEvent): void {
    this.status = applyEvent(this.status, e);
    this.renderStatus();
    if (e.type === 'error') this.showMessage(`training error: ${e.message}`, 'error');
  }

  /** A run's curves arrived (`model`: a run was opened): the status fields follow (status.ts applyHistory). */
  history(m: Extract<ServerMessage, { type: 'history' }>): void {
    this.status = applyHistory(this.status, m.points, m.opened);
    this.renderStatus();
  }

  sceneOpened(scene: SceneInfo): void {
    this.scene.value = scene.path;
    this.testView.max = String(Math.max(0, scene.testPoses.length - 1));
    byTestId(this.root, 'scene-summary').textContent = sceneSummary(scene);
  }

  /** The scene folder the form names. */
  get scenePath(): string {
    return this.scene.value.trim();
  }

  /** Which scene cameras the viewports draw (the View panel's checkboxes). */
  get camerasShown(): { train: boolean; test: boolean } {
    return { train: this.showTrain.checked, test: this.showTest.checked };
  }

  /** `source` 'form': a problem of the training form's values, cleared once they are right. */
  showMessage(text: string, kind: MessageKind, source: 'form' | 'render' | 'server' = 'server'): void {
    const line = kind === 'crash' && !text.startsWith(CRASH_PREFIX) ? CRASH_PREFIX + text : text;
    this.message.textContent = line;
    this.message.className = `message ${kind}`;
    this.message.dataset.kind = kind;
    this.message.dataset.source = kind === 'error' && isConfigError(text) ? 'form' : source;
  }

  /** A frame arrived: a render error shown before is over (it was transient, as a training starting). */
  renderSucceeded(): void {
    if (this.message.dataset.source === 'render') this.clearMessage();
  }

  private formEdited(): void {
    if (this.message.dataset.source === 'form' && configProblem(this.startConfig()) === null) this.clearMessage();
  }

  clearMessage(kind?: MessageKind): void {
    if (kind !== undefined && this.message.dataset.kind !== kind) return;
    this.message.textContent = '';
    this.message.className = 'message';
    delete this.message.dataset.kind;
    delete this.message.dataset.source;
  }

  private fillPreset(): void {
    const p = PRESETS[this.preset.value as PresetName];
    this.iterations.value = p ? String(p.iterations) : ''; // the default preset: its own iterations
    this.iterations.placeholder = p ? '' : "the preset's";
  }

  private renderStatus(): void {
    for (const key of Object.keys(STATUS_IDS) as (keyof StatusFields)[]) {
      byTestId(this.root, STATUS_IDS[key]).textContent = this.status[key];
    }
  }

  private renderControls(): void {
    const c = controlsFor(this.state);
    this.buttons.start.disabled = !c.start;
    this.buttons.compare.disabled = !c.start;
    this.buttons.pause.disabled = !c.pause;
    this.buttons.pause.textContent = c.pauseLabel;
    this.buttons.stop.disabled = !c.stop;
    this.buttons.evaluate.disabled = !c.evaluate;
    this.buttons.openScene.disabled = !c.openScene;
    this.buttons.openRun.disabled = !c.openRun;
    this.buttons.snap.disabled = !c.snap;
    this.buttons.resumeRun.disabled = !c.resumeRun;
    this.buttons.saveCheckpoint.disabled = !c.saveCheckpoint;
  }
}
