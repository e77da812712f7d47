/** Reference FNV-1a 32 over the latin1 bytes of `s` (BigInt, written independently of the parser's). */
export function fnv(s: string): string {
  let h = 0x811c9dc5n;
  for (const b of Buffer.from(s, 'latin1')) h = ((h ^ BigInt(b)) * 0x01000193n) & 0xffffffffn;
  return h.toString(16).padStart(8, '0');
}
