/** After COMMIT: one `{ jobId }` message per job, at most 100 per `sendBatch` (the Queues limit). */
export async function enqueueRelayJobs(queue: Queue, jobIds: readonly number[]): Promise<void> {
  for (let start = 0; start < jobIds.length; start += 100) {
    await queue.sendBatch(jobIds.slice(start, start + 100).map((jobId) => ({ body: { jobId } })));
  }
}
