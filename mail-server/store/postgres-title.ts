/**
 * A title as the emails table's text column keeps it: PostgreSQL's text cannot hold NUL, which
 * a title may, so NUL is written `\0` and a backslash `\\`. Text rather than bytes, because the
 * listing reads every title of an inbox and text is what it reads fastest.
 */
export const titleToColumn = (title: string): string =>
  title.replace(/\\/g, '\\\\').replace(/\0/g, '\\0');

export const titleFromColumn = (column: string): string =>
  column.includes('\\')
    ? column.replace(/\\([\\0])/g, (_, kept: string) => (kept === '0' ? '\0' : '\\'))
    : column;
