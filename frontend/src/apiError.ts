// How API failures become words: the error type every API call throws, and the sentences for
// statuses whose server text says little.
import type { ApiErrorBody } from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly detail: ApiErrorBody['detail'];

  constructor(status: number, message: string, detail: ApiErrorBody['detail'] = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
  }

  /** The form field a 422 is about, so a form can show the message beside it. */
  get field(): string | null {
    return typeof this.detail?.field === 'string' ? this.detail.field : null;
  }
}

export const NETWORK_ERROR = 'Cannot reach the AutoCode server. Check your connection and try again.';
export const SESSION_ENDED = 'Your session has ended. Please log in again.';

const STATUS_MESSAGES: Record<number, string> = {
  400: 'The request was not valid.',
  401: SESSION_ENDED,
  403: 'You are not allowed to do that.',
  404: 'Not found: it may have been deleted.',
  409: 'That is not possible right now.',
  413: 'That is too large to send.',
  422: 'Some of the values are not valid.',
  429: 'Too many attempts. Wait a minute and try again.',
};

const GENERIC_SERVER_ERRORS = new Set(['internal error', 'not found', 'forbidden', 'authentication required']);

/** "invalid name: too long" → "Invalid name: too long." */
export function sentence(text: string): string {
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** Turns any thrown value into words a person can act on. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong.';
}

export async function errorFromResponse(res: Response): Promise<ApiError> {
  let body: Partial<ApiErrorBody> | null = null;
  try {
    body = (await res.json()) as Partial<ApiErrorBody>;
  } catch {
    // Not JSON (a proxy's error page, an empty body): fall back to the status.
  }
  const fallback =
    STATUS_MESSAGES[res.status] ??
    (res.status >= 500
      ? `The server had a problem (HTTP ${res.status}). Try again shortly.`
      : `The request failed (HTTP ${res.status}).`);
  const text = typeof body?.error === 'string' ? body.error.trim() : '';
  // The server's generic words say less than the status-based sentence; specific ones are kept.
  const message = text && !GENERIC_SERVER_ERRORS.has(text.toLowerCase()) ? sentence(text) : fallback;
  return new ApiError(res.status, message, body?.detail ?? null);
}
