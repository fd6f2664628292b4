/** The policies the service tests run with: studio-a (roomy and tight projects) and another team. */
export const SERVICE_POLICIES = {
  'studio-a.yaml': `team: studio-a
budgets:
  projects:
    trailer: { limit: "50.00", period: monthly }
    listing: { limit: "50.00", period: monthly }
    tight: { limit: "0.10", period: monthly }
    cancel: { limit: "50.00", period: monthly }
rules:
  fallback: { direction: cheaper }
`,
  'other.yaml': `team: other
budgets:
  projects:
    trailer: { limit: "50.00", period: monthly }
`,
};

export const job = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  team: 'studio-a',
  project: 'trailer',
  model: 'kling-3.0',
  resolution: '720p',
  audio: 'none',
  durationSeconds: 5,
  prompt: 'a lighthouse at dusk',
  ...over,
});

/** Reads a Server-Sent Events stream to its end: each event's name and parsed data. */
export async function readEvents(res: Response): Promise<{ event: string; data: unknown }[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      return { event, data: JSON.parse(data) as unknown };
    });
}

/** Polls `look` until it returns a value (bounded): for states nothing announces. */
export async function until<T>(look: () => Promise<T | undefined | null | false>, what: string, tries = 400, everyMs = 25): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await look();
    if (v) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}
