import { StringDecoder } from "node:string_decoder";

/**
 * The last lines of a stream of output, bounded in lines and in characters per line, so a
 * command printing gigabytes (or one endless line) costs a few kilobytes. `\r` ends a line too:
 * a progress bar redrawn in place counts as its latest state.
 */
export class LineTail {
  private readonly decoder = new StringDecoder("utf8");
  private readonly kept: string[] = [];
  private partial = "";
  private cut = false;
  /** lines seen in all, kept or not */
  total = 0;

  constructor(
    private readonly maxLines: number,
    private readonly maxChars: number,
  ) {}

  /** Adds a chunk; returns the lines it completed. */
  push(chunk: Buffer): string[] {
    const completed: string[] = [];
    const pieces = this.decoder.write(chunk).split(/\r\n|\n|\r/);
    for (let i = 0; i < pieces.length; i++) {
      this.append(pieces[i]!);
      if (i < pieces.length - 1) completed.push(this.endLine());
    }
    return completed;
  }

  /** Ends the stream: the unfinished last line, if any, becomes a line (and is returned). */
  end(): string[] {
    this.append(this.decoder.end());
    return this.partial.length > 0 || this.cut ? [this.endLine()] : [];
  }

  /** The kept lines, oldest first. */
  lines(): string[] {
    return [...this.kept];
  }

  private append(piece: string): void {
    if (this.cut) return;
    this.partial += piece;
    if (this.partial.length > this.maxChars) {
      this.partial = this.partial.slice(0, this.maxChars);
      this.cut = true;
    }
  }

  private endLine(): string {
    const line = this.mark(this.partial);
    this.partial = "";
    this.cut = false;
    this.total++;
    this.kept.push(line);
    if (this.kept.length > this.maxLines) this.kept.shift();
    return line;
  }

  private mark(line: string): string {
    return this.cut ? `${line}... (line cut at ${this.maxChars} characters)` : line;
  }
}
