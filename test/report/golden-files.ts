/** File extension of each format's golden file under test/golden/report/. */
export const GOLDEN_EXTENSIONS: Readonly<Record<string, string>> = {
  table: 'txt',
  json: 'json',
  sarif: 'sarif',
  junit: 'xml',
  github: 'github.txt',
  markdown: 'md',
};
