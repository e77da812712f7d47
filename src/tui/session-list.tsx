/**
 * The session list: a header and only the rows that fit (windowing: 100 000 sessions cost what
 * 40 do). Rows with drops are red, abnormal terminations yellow; both carry a marker.
 */
import { Box, Text } from 'ink';
import { memo } from 'react';
import { headerText, layoutColumns, rowText, type Layout } from './list-columns.js';
import type { SessionFacts } from './session-facts.js';
import type { SortSpec } from './sort.js';
import { terminalSafe } from './text-line.js';

interface RowProps {
  text: string;
  selected: boolean;
  tone: 'drop' | 'abnormal' | 'normal';
}

const Row = memo(function Row({ text, selected, tone }: RowProps) {
  const color = tone === 'drop' ? 'red' : tone === 'abnormal' ? 'yellow' : undefined;
  return (
    <Text wrap="truncate" inverse={selected} {...(color ? { color } : {})}>
      {terminalSafe(text)}
    </Text>
  );
});

function tone(f: SessionFacts): RowProps['tone'] {
  return f.drops > 0 ? 'drop' : f.abnormal ? 'abnormal' : 'normal';
}

export interface SessionListProps {
  list: readonly SessionFacts[];
  cursor: number;
  top: number;
  height: number;
  width: number;
  sort: SortSpec;
}

/** Cached per width: the layout only changes on resize. */
const layouts = new Map<number, Layout>();
function layoutFor(width: number): Layout {
  let l = layouts.get(width);
  if (l === undefined) {
    l = layoutColumns(width);
    layouts.set(width, l);
  }
  return l;
}

export function SessionList({ list, cursor, top, height, width, sort }: SessionListProps) {
  const layout = layoutFor(width);
  const rows = [];
  for (let i = 0; i < height; i++) {
    const f = list[top + i];
    if (f === undefined) {
      rows.push(<Text key={i}> </Text>);
      continue;
    }
    rows.push(<Row key={i} text={rowText(layout, f, width)} selected={top + i === cursor} tone={tone(f)} />);
  }
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">{headerText(layout, sort, width)}</Text>
      {list.length === 0 ? (
        <Box height={height} flexDirection="column">
          <Text dimColor>no session matches</Text>
        </Box>
      ) : (
        <Box height={height} flexDirection="column">{rows}</Box>
      )}
    </Box>
  );
}
