import { PermanentJobError } from '@conveyor/jobs';

/** One top-level element of a JSON array, as text, with where it started. */
export interface JsonElement {
  readonly text: string;
  /** 1-based position of the element in the array. */
  readonly index: number;
  /** 1-based line on which the element starts. */
  readonly line: number;
}

const enum State {
  Start,
  BeforeFirst,
  BeforeNext,
  InElement,
  AfterElement,
  End,
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const BOM = 0xfeff;

function isSpace(c: number): boolean {
  return c === 0x20 || c === NEWLINE || c === 0x0d || c === 0x09;
}

/**
 * Splits a JSON array of objects, fed as text chunks, into the text of each top-level element
 * without holding more than one element in memory; each element is then `JSON.parse`d on its
 * own. It tracks strings, escapes and nesting depth only: the element's own syntax is left to
 * `JSON.parse`. Elements that are not objects are rejected, naming their position.
 */
export class JsonArraySplitter {
  private state = State.Start;
  private buf = '';
  private elementStart = 0;
  private elementLine = 1;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private line = 1;
  private count = 0;

  /** Feeds the next chunk of text; returns the elements it completed. */
  push(chunk: string): JsonElement[] {
    const out: JsonElement[] = [];
    const start = this.state === State.InElement ? this.buf.length : 0;
    this.buf = this.state === State.InElement ? this.buf + chunk : chunk;
    const buf = this.buf;
    for (let i = start; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c === NEWLINE) this.line++;
      switch (this.state) {
        case State.InElement:
          if (this.inString) {
            if (this.escaped) this.escaped = false;
            else if (c === BACKSLASH) this.escaped = true;
            else if (c === QUOTE) this.inString = false;
          } else if (c === QUOTE) this.inString = true;
          else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
          else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
            if (--this.depth === 0) {
              out.push({
                text: buf.slice(this.elementStart, i + 1),
                index: this.count,
                line: this.elementLine,
              });
              this.state = State.AfterElement;
            }
          }
          break;
        case State.Start:
          if (isSpace(c) || (c === BOM && i === 0 && this.line === 1)) break;
          if (c !== OPEN_BRACKET) throw this.error('expected a JSON array');
          this.state = State.BeforeFirst;
          break;
        case State.BeforeFirst:
        case State.BeforeNext:
          if (isSpace(c)) break;
          if (c === CLOSE_BRACKET) {
            if (this.state === State.BeforeNext)
              throw this.error(`a "," after record ${this.count} ends the array`);
            this.state = State.End;
            break;
          }
          this.count++;
          if (c !== OPEN_BRACE) throw this.error(`record ${this.count} is not an object`);
          this.state = State.InElement;
          this.elementStart = i;
          this.elementLine = this.line;
          this.depth = 1;
          break;
        case State.AfterElement:
          if (isSpace(c)) break;
          if (c === COMMA) this.state = State.BeforeNext;
          else if (c === CLOSE_BRACKET) this.state = State.End;
          else throw this.error(`expected "," or "]" after record ${this.count}`);
          break;
        case State.End:
          if (!isSpace(c)) throw this.error('unexpected content after the JSON array');
          break;
      }
    }
    if (this.state === State.InElement) {
      // n.b. keep only the unfinished element, so memory is bounded by the largest record
      this.buf = this.buf.slice(this.elementStart);
      this.elementStart = 0;
    } else {
      this.buf = '';
    }
    return out;
  }

  /** Number of elements seen so far. */
  get records(): number {
    return this.count;
  }

  /** Signals the end of input; throws unless the array was complete. */
  end(): void {
    if (this.state === State.End) return;
    if (this.state === State.Start) throw this.error('input is empty, expected a JSON array');
    if (this.state === State.InElement) throw this.error(`input ended inside record ${this.count}`);
    throw this.error('input ended before the JSON array was closed');
  }

  private error(message: string): PermanentJobError {
    return new PermanentJobError(`JSON line ${this.line}: ${message}`, 'INVALID_INPUT');
  }
}
