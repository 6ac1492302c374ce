/** What in-process CLI calls print: `process.stdout` captured for the length of one call. */
export async function capturingStdout<T>(run: () => Promise<T>): Promise<{ result: T; stdout: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    const result = await run();
    return { result, stdout: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}
