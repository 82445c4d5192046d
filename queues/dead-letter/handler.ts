// PLACEHOLDER owned by the capture consumer work.
import type { Env } from "../../workers/env.ts";

export async function handleDeadLetterBatch(
  batch: MessageBatch<unknown>,
  _env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  batch.retryAll();
}
