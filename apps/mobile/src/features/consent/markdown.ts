/**
 * Just enough Markdown for the rules: headings, bullet and numbered lists, paragraphs, and
 * inline marks stripped to plain words. A full Markdown library would weigh more than the
 * rest of the first screens together; the rules file keeps to these forms.
 */
export type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'item'; marker: string; text: string }
  | { kind: 'paragraph'; text: string };

export function parseMarkdown(markdown: string): Block[] {
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) blocks.push({ kind: 'paragraph', text: inline(paragraph.join(' ')) });
    paragraph = [];
  };
  for (const raw of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trim();
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^[-*+]\s+(.*)$/.exec(line);
    const numbered = /^(\d+)[.)]\s+(.*)$/.exec(line);
    if (line === '' || /^(-{3,}|\*{3,}|_{3,})$/.test(line)) {
      flush();
    } else if (heading) {
      flush();
      blocks.push({ kind: 'heading', level: heading[1]!.length, text: inline(heading[2]!) });
    } else if (bullet) {
      flush();
      blocks.push({ kind: 'item', marker: '•', text: inline(bullet[1]!) });
    } else if (numbered) {
      flush();
      blocks.push({ kind: 'item', marker: `${numbered[1]}.`, text: inline(numbered[2]!) });
    } else if (
      raw.startsWith('  ') &&
      blocks.length &&
      blocks[blocks.length - 1]!.kind === 'item' &&
      paragraph.length === 0
    ) {
      // A list item's continuation line.
      const item = blocks[blocks.length - 1]!;
      item.text = `${item.text} ${inline(line)}`;
    } else {
      paragraph.push(line);
    }
  }
  flush();
  return blocks;
}

/** Links become "text (url)" unless the text is the url; emphasis and code marks go. */
function inline(text: string): string {
  return text
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, label: string, url: string) =>
      label === url || `mailto:${label}` === url ? label : `${label} (${url.replace(/^mailto:/, '')})`,
    )
    .replace(/<((?:https?:|mailto:)[^>]+)>/g, (_, url: string) => url.replace(/^mailto:/, ''))
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|[\s(])[*_]([^*_\s][^*_]*?)[*_](?=[\s).,;:!?]|$)/g, '$1$2')
    .replace(/`([^`]+)`/g, '$1');
}
