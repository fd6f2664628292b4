import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One example transcribed from Kling's API reference (test/fixtures/kling/README.md). */
export interface Fixture {
  file: string;
  source: string;
  notes?: string;
  method?: 'GET' | 'POST';
  path?: string;
  httpStatus?: number;
  body?: Record<string, unknown>;
}

const ROOT = new URL('../fixtures/kling/', import.meta.url);

export function fixture(file: string): Fixture {
  return { file, ...(JSON.parse(readFileSync(new URL(file, ROOT), 'utf8')) as Omit<Fixture, 'file'>) };
}

/** Every fixture in a folder whose file name matches. */
export function fixtures(folder: string, name: RegExp): Fixture[] {
  return readdirSync(new URL(`${folder}/`, ROOT))
    .filter((f) => name.test(f))
    .sort()
    .map((f) => fixture(join(folder, f)));
}

export const ENDPOINT_FOLDERS = ['text2video', 'image2video', 'omni-video', 'motion-control'] as const;
