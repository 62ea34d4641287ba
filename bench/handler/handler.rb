# The Ruby twin of index.js, for the ruby3.1 section (warm throughput and cold starts).
def handler(event:, context:)
  { ok: true, n: event["n"] }
end
