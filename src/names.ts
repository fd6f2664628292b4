import { z } from 'zod';

// Names become parts of Redis keys and queue job ids, so they exclude ":", "{" and "}" and spaces.
export const Name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'use 1-63 lowercase letters, digits, "-" or "_"');

/** A job id, which is also its reservation id. */
export const ReservationId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'use 1-200 letters, digits, ".", "_" or "-"');
