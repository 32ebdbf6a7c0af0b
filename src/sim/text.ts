/** Text helpers both simulated APIs answer with. */

/** ~4 characters per token, the usual rule of thumb; never zero. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Splits text into runs of a few words so a stream has several text_delta events. */
export function textChunks(text: string, wordsPerChunk = 3): string[] {
  const words = text.split(/(?<= )/);
  const chunks: string[] = [];
  for (let index = 0; index < words.length; index += wordsPerChunk) {
    chunks.push(words.slice(index, index + wordsPerChunk).join(''));
  }
  return chunks.length > 0 ? chunks : [''];
}
