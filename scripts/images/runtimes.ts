/**
 * The runtime images: which Dockerfile each id uses, its official base, its offline stand-in,
 * and the file its entrypoint runs (which must exist before a build makes sense).
 */
import type { BaseId } from "./base-images.ts";

export interface RuntimeImage {
  /** The runtime id used across HotSwap (function config, image tags). */
  id: "nodejs20" | "nodejs22" | "python3.11" | "python3.12" | "java17" | "ruby3.1" | "provided";
  /** Directory under runtimes/ holding the Dockerfile; it is also the build context. */
  dir: "node" | "python" | "java" | "ruby" | "provided";
  /** BASE_IMAGE for a normal build (pulled from a registry). */
  officialBase: string;
  /** BASE_IMAGE for --offline (built by base-images.ts). */
  offlineBase: BaseId;
  /** Files in `dir` the image cannot work without. */
  required: string[];
}

export const RUNTIME_IMAGES: RuntimeImage[] = [
  { id: "nodejs20", dir: "node", officialBase: "node:20-bookworm-slim", offlineBase: "node20", required: ["bootstrap.mjs"] },
  { id: "nodejs22", dir: "node", officialBase: "node:22-bookworm-slim", offlineBase: "node22", required: ["bootstrap.mjs"] },
  { id: "python3.11", dir: "python", officialBase: "python:3.11-slim", offlineBase: "python3.11", required: ["bootstrap.py"] },
  { id: "python3.12", dir: "python", officialBase: "python:3.12-slim", offlineBase: "python3.12", required: ["bootstrap.py"] },
  { id: "java17", dir: "java", officialBase: "eclipse-temurin:17-jdk", offlineBase: "java17", required: ["src/dev/hotswap/bootstrap/Main.java"] },
  { id: "ruby3.1", dir: "ruby", officialBase: "ruby:3.1-slim-bookworm", offlineBase: "ruby3.1", required: ["bootstrap.rb"] },
  { id: "provided", dir: "provided", officialBase: "debian:bookworm-slim", offlineBase: "debian", required: [] },
];

export function runtimeImageRepo(id: RuntimeImage["id"]): string {
  return `hotswap/runtime-${id}`;
}
