import { z } from 'zod';
import { DomainError } from '../errors.js';

/**
 * Opaque keyset cursors: the id of the last item of the previous page. The next page continues
 * strictly after that row's exact (time, id), so rows sharing a timestamp are never skipped.
 */
export function encodeCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

const cursorId = z.uuid();

export function decodeCursor(cursor: string): string {
  const parsed = cursorId.safeParse(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!parsed.success) {
    throw new DomainError('INVALID_INPUT', {
      message: 'The cursor is invalid',
      details: { fieldErrors: { cursor: ['is invalid'] } },
    });
  }
  return parsed.data;
}
