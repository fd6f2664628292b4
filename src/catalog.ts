import { z } from 'zod';

// The vocabulary every layer shares: which models, modes and resolutions exist at all.
// A rate card decides which combinations it prices.
export const ModelId = z.enum(['kling-3.0', 'kling-o3', 'kling-o1', 'kling-motion-control']);
export type ModelId = z.infer<typeof ModelId>;

export const Mode = z.enum(['text-to-video', 'image-to-video', 'motion-control']);
export type Mode = z.infer<typeof Mode>;

export const Resolution = z.enum(['720p', '1080p', '4k']);
export type Resolution = z.infer<typeof Resolution>;

export const ReferenceKind = z.enum(['image', 'video']);
export type ReferenceKind = z.infer<typeof ReferenceKind>;

/** Lower index = lower resolution; used by staging and the downscale step. */
export const RESOLUTION_ORDER: readonly Resolution[] = Resolution.options;
