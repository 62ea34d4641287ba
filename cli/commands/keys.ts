/** `hotswap keys ls|create|revoke`: API keys (admins only). The secret of a new key is printed once. */
import { Option, type Command } from "commander";
import { KEY_ROLES } from "../../protocol/api/keys.ts";
import type { CreateKeyBody } from "../../protocol/api/keys.ts";
import { clientAction, list, must } from "../command-kit.ts";
import { formatFields, formatTable } from "../output.ts";

interface CreateOptions {
  name: string;
  role: CreateKeyBody["role"];
  functions?: string[];
  expires?: string;
  canApprove?: boolean;
}

export function registerKeyCommands(program: Command): void {
  const keys = program.command("keys").description("manage API keys (admins)");

  keys
    .command("ls")
    .description("list API keys, revoked ones included (never a secret)")
    .action(
      clientAction(async ({ api, out }) => {
        const page = must(await api.keys.list(), "listing API keys");
        out.result(page, () =>
          formatTable(page.keys, [
            ["ID", (k) => k.id],
            ["NAME", (k) => k.name],
            ["ROLE", (k) => k.role],
            ["FUNCTIONS", (k) => k.functions?.join(",") ?? "*"],
            ["APPROVE", (k) => (k.canApprove ? "yes" : "no")],
            ["CREATED", (k) => k.createdAt],
            ["EXPIRES", (k) => k.expiresAt],
            ["LAST USED", (k) => k.lastUsedAt],
            ["REVOKED", (k) => k.revokedAt],
          ]),
        );
      }),
    );

  keys
    .command("create")
    .description("create an API key and print its secret (shown this once)")
    .requiredOption("--name <name>", "what the key is for, e.g. ci-deployer")
    .addOption(new Option("--role <role>", "what it may do").choices([...KEY_ROLES]).makeOptionMandatory())
    .option("--functions <patterns>", "limit it to these functions (comma-separated or repeated; * wildcards)", list)
    .option("--expires <time>", "when it stops working (ISO-8601, e.g. 2027-01-01T00:00:00Z)")
    .option("--can-approve", "may approve deployments to protected aliases")
    .action(
      clientAction(async ({ api, out }, o: CreateOptions) => {
        const k = must(
          await api.keys.create({ name: o.name, role: o.role, ...(o.functions ? { functions: o.functions } : {}), ...(o.expires ? { expiresAt: o.expires } : {}), ...(o.canApprove ? { canApprove: true } : {}) }),
          `creating API key "${o.name}"`,
        );
        out.result(k, () => `${formatFields({ id: k.id, name: k.name, role: k.role, functions: k.functions?.join(",") ?? "*", expires: k.expiresAt })}\n\nAPI key (shown once; store it now):\n  ${k.key}`);
      }),
    );

  keys
    .command("revoke <id>")
    .description("revoke an API key: every replica refuses it from now on")
    .action(
      clientAction(async ({ api, out }, id: string) => {
        must(await api.keys.revoke(id), `revoking API key ${id}`);
        out.result({ revoked: id }, () => `Revoked API key ${id}.`);
      }),
    );
}
