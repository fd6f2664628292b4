import { z } from 'zod';

// The vocabulary every layer shares: which models, modes and resolutions exist at all, and the
// rules of Kling's API that hold whatever a job costs. A rate card decides which combinations it prices.
export const ModelId = z.enum(['kling-3.0', 'kling-o3', 'kling-o1', 'kling-motion-control']);
export type ModelId = z.infer<typeof ModelId>;

export const Mode = z.enum(['text-to-video', 'image-to-video', 'motion-control']);
export type Mode = z.infer<typeof Mode>;

export const Resolution = z.enum(['720p', '1080p', '4k']);
export type Resolution = z.infer<typeof Resolution>;

/**
 * Motion Control's `character_orientation`: `image` keeps the character as in the image (the
 * reference video may run up to 10 s), `video` follows the video (up to 30 s).
 */
export const Orientation = z.enum(['image', 'video']);
export type Orientation = z.infer<typeof Orientation>;

/** Kling's limit on the reference video per orientation, in seconds of video (not billed seconds). */
export const MAX_REFERENCE_SECONDS: Readonly<Record<Orientation, number>> = { image: 10, video: 30 };

/**
 * The modes Kling documents for each model (O1: text and first-frame image, 5 or 10 s; O3: text
 * and image, 3–15 s; Motion Control: its reference video sets the length). Whether a mode is
 * priced is the rate card's business.
 */
export const MODES_OF_MODEL: Readonly<Record<ModelId, readonly Mode[]>> = {
  'kling-3.0': ['text-to-video', 'image-to-video'],
  'kling-o3': ['text-to-video', 'image-to-video'],
  'kling-o1': ['text-to-video', 'image-to-video'],
  'kling-motion-control': ['motion-control'],
};

/** A Motion Control job: priced, reserved and generated at its reference video's length. */
export function isMotionControl(model: ModelId, mode?: Mode): boolean {
  return mode === 'motion-control' || (mode === undefined && model === 'kling-motion-control');
}

/** Lower index = lower resolution; used by staging and the downscale step. */
export const RESOLUTION_ORDER: readonly Resolution[] = Resolution.options;
