/**
 * Comments in the config file (JSON with comments, as VS Code's settings and tsconfig.json take
 * it): line comments (`//` to the end of the line) and block comments (slash-star to star-slash)
 * outside strings become spaces, so the file is then plain JSON and JSON.parse reports an error at
 * the same position as in the file. `quotamesh init` writes its explanations this way. Nothing
 * else is relaxed: no trailing commas, no single quotes.
 */
export function blankJsonComments(text: string): string {
  let out = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (char === '"') {
      const end = stringEnd(text, index);
      out += text.slice(index, end);
      index = end;
    } else if (char === '/' && text[index + 1] === '/') {
      const newline = text.indexOf('\n', index);
      const end = newline === -1 ? text.length : newline;
      out += ' '.repeat(end - index);
      index = end;
    } else if (char === '/' && text[index + 1] === '*') {
      const close = text.indexOf('*/', index + 2);
      // Unterminated: left as it is, so JSON.parse names the stray `/` where it stands.
      if (close === -1) return out + text.slice(index);
      out += text.slice(index, close + 2).replace(/[^\n\r]/g, ' ');
      index = close + 2;
    } else {
      out += char;
      index += 1;
    }
  }
  return out;
}

/** The index just past the string that opens at `start` (or the end of the text, unterminated). */
function stringEnd(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === '\\') index += 2;
    else if (char === '"') return index + 1;
    else if (char === '\n') return index;
    else index += 1;
  }
  return text.length;
}
