// Loaded by ../warm-up.mjs in a stem before it gets any function code: an ES module handler.
export const handler = async (event) => ({ ok: true, event });
