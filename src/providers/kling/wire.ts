import { z } from 'zod';
import type { ModelId, Mode } from '../../catalog.js';

// The legacy Kling API's shapes (/v1/videos/...), shared by the adapter and the local server.

export const ENDPOINT_OF_MODE: Record<Mode, string> = {
  'text-to-video': 'text2video',
  'image-to-video': 'image2video',
  'motion-control': 'motion-control',
};
export const Endpoint = z.enum(['text2video', 'image2video', 'motion-control']);
export type Endpoint = z.infer<typeof Endpoint>;

/** Our model ids as Kling's `model_name` on each endpoint. */
export const MODEL_NAMES: Record<ModelId, string> = {
  'kling-3.0': 'kling-v3',
  'kling-o3': 'kling-o3',
  'kling-o1': 'kling-o1',
  'kling-motion-control': 'kling-v3',
};

export function modelOf(endpoint: Endpoint, modelName: string): ModelId | null {
  if (endpoint === 'motion-control') return modelName === MODEL_NAMES['kling-motion-control'] ? 'kling-motion-control' : null;
  const hit = (Object.entries(MODEL_NAMES) as [ModelId, string][]).find(([id, name]) => name === modelName && id !== 'kling-motion-control');
  return hit ? hit[0] : null;
}

export const CreateBody = z.looseObject({
  model_name: z.string(),
  prompt: z.string().optional(),
  negative_prompt: z.string().optional(),
  mode: z.enum(['std', 'pro']),
  duration: z.string().regex(/^\d+$/),
  aspect_ratio: z.string().optional(),
  sound: z.enum(['on', 'off']).optional(),
  image: z.string().optional(),
  image_url: z.string().optional(),
  video_url: z.string().optional(),
  character_orientation: z.string().optional(),
  callback_url: z.string().optional(),
  external_task_id: z.string().optional(),
});
export type CreateBody = z.infer<typeof CreateBody>;

export const TaskStatusWire = z.enum(['submitted', 'processing', 'succeed', 'failed']);

export const TaskData = z.looseObject({
  task_id: z.string(),
  task_status: TaskStatusWire,
  task_status_msg: z.string().optional(),
  task_info: z.looseObject({ external_task_id: z.string().optional() }).optional(),
  created_at: z.number().optional(),
  updated_at: z.number().optional(),
  final_unit_deduction: z.string().optional(),
  task_result: z
    .looseObject({
      videos: z.array(z.looseObject({ id: z.string(), url: z.string(), duration: z.string().optional() })).default([]),
    })
    .optional(),
  // Kling's legacy replies do not repeat these; the local server adds them so settlement can
  // tell which model and endpoint ran the task. The adapter falls back to what it submitted.
  model_name: z.string().optional(),
  endpoint: Endpoint.optional(),
});
export type TaskData = z.infer<typeof TaskData>;

export const Envelope = z.looseObject({
  code: z.number(),
  message: z.string().optional(),
  request_id: z.string().optional(),
  data: z.unknown().optional(),
});
