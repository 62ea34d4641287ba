// The handler every benchmark runs, on the platform and in the bare baseline server alike.
exports.handler = async (event) => ({ ok: true, n: event.n ?? null });
