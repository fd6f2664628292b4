import { z } from 'zod';

// Kling's API shapes (/v1/videos/...) as its reference documents them (test/fixtures/kling/ holds
// the transcribed examples, and test/conformance checks these schemas against every one of them).
// Objects are loose: Kling documents more optional fields than vidgate sends, and a reply may
// carry fields a newer API adds.

export const Endpoint = z.enum(['text2video', 'image2video', 'omni-video', 'motion-control']);
export type Endpoint = z.infer<typeof Endpoint>;

const ModeWire = z.enum(['std', 'pro']);
const OnOff = z.enum(['on', 'off']);
const YesNo = z.enum(['yes', 'no']);
/** Seconds as a string of digits ("5"), as every endpoint that takes a duration wants it. */
const DurationWire = z.string().regex(/^\d+$/, 'a whole number of seconds as a string, such as "5"');
const AspectRatio = z.enum(['16:9', '9:16', '1:1']);

const Common = {
  model_name: z.string().optional(),
  prompt: z.string().max(2500).optional(),
  negative_prompt: z.string().max(2500).optional(),
  callback_url: z.string().optional(),
  external_task_id: z.string().optional(),
};

/** A multi-shot request carries its prompts per shot in `multi_prompt`; any other needs `prompt`. */
const promptOrShots = <T extends { prompt?: string | undefined; multi_prompt?: unknown }>(b: T) => Boolean(b.prompt) || Array.isArray(b.multi_prompt);
const PROMPT_NEEDED = { message: 'prompt is required (or multi_prompt with multi_shot)', path: ['prompt'] };
const Shots = { multi_prompt: z.array(z.looseObject({ prompt: z.string(), duration: DurationWire })).max(6).optional() };

export const Text2VideoBody = z
  .looseObject({
    ...Common,
    ...Shots,
    mode: ModeWire.optional(),
    duration: DurationWire.optional(),
    aspect_ratio: AspectRatio.optional(),
    sound: OnOff.optional(),
  })
  .refine(promptOrShots, PROMPT_NEEDED);

export const Image2VideoBody = z
  .looseObject({
    ...Common,
    image: z.string().optional(),
    image_tail: z.string().optional(),
    mode: ModeWire.optional(),
    duration: DurationWire.optional(),
    sound: OnOff.optional(),
  })
  .refine((b) => Boolean(b.image || b.image_tail), { message: 'image or image_tail is required', path: ['image'] });

const ImageRef = z.looseObject({ image_url: z.string().min(1), type: z.enum(['first_frame', 'end_frame']).optional() });
const VideoRef = z.looseObject({ video_url: z.string().min(1), refer_type: z.enum(['base', 'feature']).optional(), keep_original_sound: YesNo.optional() });

export const OmniVideoBody = z
  .looseObject({
    ...Common,
    ...Shots,
    image_list: z.array(ImageRef).max(7).optional(),
    video_list: z.array(VideoRef).max(1).optional(),
    element_list: z.array(z.looseObject({ element_id: z.union([z.number(), z.string()]) })).optional(),
    mode: ModeWire.optional(),
    duration: DurationWire.optional(),
    aspect_ratio: AspectRatio.optional(),
    sound: OnOff.optional(),
  })
  .refine(promptOrShots, PROMPT_NEEDED)
  .refine((b) => !(b.video_list?.length && b.sound === 'on'), { message: 'sound must be off when a video_list is given', path: ['sound'] })
  .refine((b) => !b.image_list?.some((i) => i.type === 'end_frame') || b.image_list.some((i) => i.type === 'first_frame'), {
    message: 'an end_frame needs a first_frame',
    path: ['image_list'],
  });

export const MotionControlBody = z.looseObject({
  ...Common,
  image_url: z.string().min(1),
  video_url: z.string().min(1),
  character_orientation: z.enum(['image', 'video']),
  mode: ModeWire,
  keep_original_sound: YesNo.optional(),
  element_list: z.array(z.looseObject({ element_id: z.union([z.number(), z.string()]) })).max(1).optional(),
});

/** The documented create body of each endpoint. */
export const CREATE_BODY = {
  text2video: Text2VideoBody,
  image2video: Image2VideoBody,
  'omni-video': OmniVideoBody,
  'motion-control': MotionControlBody,
} as const;

export const TaskStatusWire = z.enum(['submitted', 'processing', 'succeed', 'failed']);

/** A task as a create, a query, a list entry or a callback shows it. */
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
});
export type TaskData = z.infer<typeof TaskData>;

export const Envelope = z.looseObject({
  code: z.number(),
  message: z.string().optional(),
  request_id: z.string().optional(),
  data: z.unknown().optional(),
});

/** The list endpoint's reply data: a bare array of tasks. */
export const TaskList = z.array(TaskData);
