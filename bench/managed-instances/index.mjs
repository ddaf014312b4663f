// CPU-bound on purpose (Lambda Managed Instances throughput, bench/managed-instances.ts): a fixed
// amount of plain JavaScript arithmetic on the invoking thread, no I/O, no libuv pool, so that
// the only way to more invocations per second is more threads on more cores.
export const handler = async (event) => {
  let x = 0x811c9dc5;
  for (let i = 0; i < event.rounds; i++) x = Math.imul(x ^ i, 0x01000193) >>> 0;
  return { x };
};
