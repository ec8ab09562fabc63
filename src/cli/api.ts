/** The requester API (docs/protocol.md §1) as the CLI calls it. */
import { GalacticError, isErrorCode } from '../errors.js';

/** One request to the oracle API: its JSON answer, or a GalacticError with the API's code and message. */
export async function call(url: string, init: RequestInit, token: string | undefined): Promise<any> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string>), ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  } catch (err) {
    throw new GalacticError('GAL_ERR_ORACLE_UNREACHABLE', `Expected an oracle at ${new URL(url).origin} but ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
  }
  const body = (await res.json().catch(() => null)) as any;
  if (!res.ok) {
    const e = body?.error;
    const problems = (e?.problems ?? []) as { path: string; code: string; message: string }[];
    const detail = problems.length ? '\n' + problems.map((p) => `  ${p.path}  ${p.code}: ${p.message}`).join('\n') : '';
    throw new GalacticError(isErrorCode(e?.code) ? e.code : 'GAL_ERR_ORACLE_UNREACHABLE', `${e?.message ?? `HTTP ${res.status}`}${detail}`, { problems });
  }
  return body;
}
