import type { ModelId, Mode } from '../../catalog.js';
import type { Endpoint } from './wire.js';

/** Where a vidgate model and mode go at Kling: the endpoint and the `model_name` it takes there. */
export interface KlingRoute {
  endpoint: Endpoint;
  modelName: string;
}

/**
 * The one table from vidgate's models to Kling's API, as its reference documents it: Kling 3.0 on
 * text2video / image2video as `kling-v3`; O1 and O3 are omni models on omni-video (`kling-video-o1`,
 * `kling-v3-omni`); Motion Control on motion-control as `kling-v3` (sent always: the endpoint's
 * default is `kling-v2-6`, and text2video's is `kling-v1`).
 */
export const KLING_ROUTES: Record<ModelId, Partial<Record<Mode, KlingRoute>>> = {
  'kling-3.0': {
    'text-to-video': { endpoint: 'text2video', modelName: 'kling-v3' },
    'image-to-video': { endpoint: 'image2video', modelName: 'kling-v3' },
  },
  'kling-o1': {
    'text-to-video': { endpoint: 'omni-video', modelName: 'kling-video-o1' },
    'image-to-video': { endpoint: 'omni-video', modelName: 'kling-video-o1' },
  },
  'kling-o3': {
    'text-to-video': { endpoint: 'omni-video', modelName: 'kling-v3-omni' },
    'image-to-video': { endpoint: 'omni-video', modelName: 'kling-v3-omni' },
  },
  'kling-motion-control': {
    'motion-control': { endpoint: 'motion-control', modelName: 'kling-v3' },
  },
};

/** A model's mode when a job names none: the first it serves. */
export function defaultModeOf(model: ModelId): Mode {
  return Object.keys(KLING_ROUTES[model])[0] as Mode;
}

export function routeOf(model: ModelId, mode: Mode | undefined): KlingRoute | null {
  return KLING_ROUTES[model][mode ?? defaultModeOf(model)] ?? null;
}

/** Which vidgate model a Kling `model_name` on an endpoint is, if it is one of ours. */
export function modelOf(endpoint: Endpoint, modelName: string): ModelId | null {
  for (const [model, modes] of Object.entries(KLING_ROUTES) as [ModelId, Partial<Record<Mode, KlingRoute>>][]) {
    if (Object.values(modes).some((r) => r.endpoint === endpoint && r.modelName === modelName)) return model;
  }
  return null;
}

/**
 * Every `model_name` Kling documents on each endpoint, and the one it uses when none is sent.
 * The local server accepts exactly these (1203 for any other), whether or not vidgate uses them.
 */
export const DOCUMENTED_MODEL_NAMES: Record<Endpoint, { names: readonly string[]; default: string }> = {
  text2video: { names: ['kling-v1', 'kling-v1-6', 'kling-v2-1-master', 'kling-v2-5-turbo', 'kling-v2-6', 'kling-v3'], default: 'kling-v1' },
  image2video: { names: ['kling-v1', 'kling-v1-6', 'kling-v2-1', 'kling-v2-1-master', 'kling-v2-5-turbo', 'kling-v2-6', 'kling-v3'], default: 'kling-v1' },
  'omni-video': { names: ['kling-video-o1', 'kling-v3-omni'], default: 'kling-video-o1' },
  'motion-control': { names: ['kling-v2-6', 'kling-v3'], default: 'kling-v2-6' },
};

/** Kling's default `mode` per endpoint when none is sent; motion-control requires one. */
export const DEFAULT_MODE: Record<Endpoint, 'std' | 'pro' | null> = {
  text2video: 'std',
  image2video: 'std',
  'omni-video': 'pro',
  'motion-control': null,
};
