/**
 * URLs as they may be printed: a password (in the user-info part, or as libpq's `password` query
 * parameter) is replaced by `***`. A URL without one is returned unchanged, character for character.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not parseable, yet it may still carry `user:password@`: mask that shape.
    return url.replace(/(\/\/[^/@:\s]*:)[^/@\s]*@/, '$1***@').replace(/(password=)[^&\s]*/gi, '$1***');
  }
  const queryPassword = [...parsed.searchParams.keys()].filter((key) => key.toLowerCase() === 'password');
  if (!parsed.password && queryPassword.length === 0) return url;
  if (parsed.password) parsed.password = '***';
  for (const key of queryPassword) parsed.searchParams.set(key, '***');
  return parsed.toString();
}
