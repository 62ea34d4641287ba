// Loaded by ../warm-up.mjs in a stem before it gets any function code: a CommonJS handler.
exports.handler = async (event) => ({ ok: true, event });
