// A Lambda-style handler (ESM). GREETING and FAIL come from the stack (index.ts).
export const handler = async (event, context) => {
  if (process.env.FAIL === "true") throw new Error("failing on purpose (stack config fail=true)");
  return {
    message: `${process.env.GREETING ?? "Hello"}, ${event?.name ?? "world"}!`,
    version: context.functionVersion,
    requestId: context.awsRequestId,
  };
};
