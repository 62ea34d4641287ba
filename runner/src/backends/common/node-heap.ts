/** Node's heap sizing for a memory limit, and how V8 says it ran out of heap. Used by both backends. */

/** V8 heap for a memory size: what is left after room for code, stacks and buffers. */
export function nodeHeapMb(memorySize: number): number {
  return Math.max(32, Math.floor(memorySize * 0.85) - 32);
}

/** V8's last words when the JS heap is exhausted. */
export const HEAP_OOM = /JavaScript heap out of memory|Reached heap limit|FatalProcessOutOfMemory/;
