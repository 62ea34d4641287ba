// Baseline: a bare Node HTTP server running the benchmark handler in-process.
// The platform's figures are quoted as ratios to this server, measured in the same run.
import http from "node:http";
import { createRequire } from "node:module";

const { handler } = createRequire(import.meta.url)("./handler/index.js");
const port = Number(process.argv[2] ?? 0);

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    const event = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
    const result = await handler(event, { awsRequestId: "bare" });
    const body = JSON.stringify(result);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(port, "127.0.0.1", () => process.stdout.write(`listening ${server.address().port}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
