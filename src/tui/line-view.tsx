/** Draws Lines (text-line.ts): one ink Text per line, cut to the width, through terminalSafe. */
import { Box, Text } from 'ink';
import { memo } from 'react';
import { clipLine, terminalSafe, type Line, type Segment } from './text-line.js';

function styleProps(p: Segment): { color?: string; bold?: boolean; dimColor?: boolean; inverse?: boolean } {
  return {
    ...(p.color !== undefined ? { color: p.color } : {}),
    ...(p.bold ? { bold: true } : {}),
    ...(p.dim ? { dimColor: true } : {}),
    ...(p.inverse ? { inverse: true } : {}),
  };
}

export const LineView = memo(function LineView({ line, width }: { line: Line; width: number }) {
  const parts = clipLine(line, width);
  if (parts.length === 0 || parts.every((p) => p.text === '')) return <Text> </Text>;
  return (
    <Text wrap="truncate">
      {parts.map((p, i) => (
        <Text key={i} {...styleProps(p)}>
          {terminalSafe(p.text)}
        </Text>
      ))}
    </Text>
  );
});

/** `height` lines of `lines` from `offset` (the rest padded with blank lines so the frame keeps its size). */
export function LinesView({ lines, offset, height, width }: { lines: readonly Line[]; offset: number; height: number; width: number }) {
  const shown: Line[] = [];
  for (let i = 0; i < height; i++) shown.push(lines[offset + i] ?? []);
  return (
    <Box flexDirection="column" height={height}>
      {shown.map((l, i) => (
        <LineView key={i} line={l} width={width} />
      ))}
    </Box>
  );
}
