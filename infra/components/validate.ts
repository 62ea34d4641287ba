/**
 * Argument checks shared by the components. Each throws a RunError whose message names the
 * component, its name and the argument, so Pulumi prints exactly what to fix and nothing else.
 */
import * as pulumi from "@pulumi/pulumi";
import { CPU_HINT, DURATION_HINT, SIZE_HINT, isCpu, isDuration, isSize } from "../units.ts";

export class ComponentArgsError extends pulumi.RunError {
  constructor(component: string, name: string, message: string) {
    super(`${component} "${name}": ${message}`);
    this.name = "ComponentArgsError";
  }
}

/** Collects problems for one component; `throwIfAny` reports the first (they are checked in declaration order). */
export class ArgsCheck {
  constructor(
    private readonly component: string,
    private readonly name: string,
  ) {}

  fail(message: string): never {
    throw new ComponentArgsError(this.component, this.name, message);
  }

  int(field: string, value: unknown, min: number, max?: number): void {
    const ok = typeof value === "number" && Number.isInteger(value) && value >= min && (max === undefined || value <= max);
    if (!ok) this.fail(max === undefined ? `${field} must be an integer ≥ ${min}` : `${field} must be an integer from ${min} to ${max}`);
  }

  size(field: string, value: unknown): void {
    if (!isSize(value)) this.fail(`${field} ${SIZE_HINT}`);
  }

  cpu(field: string, value: unknown): void {
    if (!isCpu(value)) this.fail(`${field} ${CPU_HINT}`);
  }

  duration(field: string, value: unknown): void {
    if (!isDuration(value)) this.fail(`${field} ${DURATION_HINT}`);
  }

  nonEmpty(field: string, value: unknown): void {
    if (typeof value !== "string" || value.trim() === "") this.fail(`${field} must be a non-empty string`);
  }

  oneOf(field: string, value: unknown, allowed: readonly string[]): void {
    if (typeof value !== "string" || !allowed.includes(value)) this.fail(`${field} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
  }

  matches(field: string, value: unknown, pattern: RegExp, description: string): void {
    if (typeof value !== "string" || !pattern.test(value)) this.fail(`${field} must be ${description}`);
  }
}
