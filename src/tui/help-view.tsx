/** The help screen, generated from the keymap. */
import { helpText } from './keymap.js';
import { LinesView } from './line-view.js';
import { line, seg, type Line } from './text-line.js';

export function helpLines(): Line[] {
  return helpText().map((t, i) => (i === 0 || t.endsWith(':') ? line(seg(t, { bold: true })) : line(t)));
}

const HELP = helpLines();

export function HelpView({ scroll, height, width }: { scroll: number; height: number; width: number }) {
  return <LinesView lines={HELP} offset={Math.min(scroll, Math.max(0, HELP.length - height))} height={height} width={width} />;
}
