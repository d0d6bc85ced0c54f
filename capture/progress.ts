// A one-line progress bar on a terminal, for imports of large files; silent elsewhere.

const WIDTH = 30;
/** Below this many entries an import is over before a bar would help. */
const MIN_TOTAL = 500;

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): (done: number, total: number) => void {
  let shown = -1;
  return (done, total) => {
    if (!stream.isTTY || total < MIN_TOTAL) return;
    const percent = Math.floor((done / total) * 100);
    if (percent === shown) return;
    shown = percent;
    const filled = Math.round((done / total) * WIDTH);
    stream.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(WIDTH - filled)}] ${percent}% (${done}/${total})${done === total ? '\n' : ''}`);
  };
}
