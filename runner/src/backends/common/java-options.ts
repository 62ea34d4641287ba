/**
 * The JVM command line of a java instance, shared by both backends: heap, metaspace and code
 * cache sized from the memory size the way Lambda's Java runtime sizes them (85 %, 10 %, 5 %;
 * threads, GC and the JVM itself live in the rest, and the runner's RSS watch or the container's
 * limit is the hard stop), the serial collector and C1-only compilation that Lambda uses for fast
 * starts, the --add-opens the bootstrap needs (adopting the channel fd, writing the environment a
 * stem learns at init), and the bootstrap's main class.
 */

export const JAVA_MAIN_CLASS = "dev.hotswap.bootstrap.Main";

/** -XX sizes in KiB for a memory size in MB. */
export function javaMemoryFlags(memorySize: number): string[] {
  const kib = memorySize * 1024;
  return [
    `-XX:MaxHeapSize=${Math.floor(kib * 0.85)}k`,
    `-XX:MaxMetaspaceSize=${Math.floor(kib * 0.1)}k`,
    `-XX:ReservedCodeCacheSize=${Math.max(4096, Math.floor(kib * 0.05))}k`,
  ];
}

/** Every argument after the `java` binary. */
export function javaArgs(memorySize: number, classpath: string): string[] {
  return [
    ...javaMemoryFlags(memorySize),
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Xshare:auto",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "-cp",
    classpath,
    JAVA_MAIN_CLASS,
  ];
}
