/** A session's detail: its headline, the tab bar, and the current tab's lines from `scroll`. */
import { Box, Text } from 'ink';
import type { Session } from '../correlate/model.js';
import { escapeInline } from '../report/escape.js';
import { LinesView } from './line-view.js';
import type { SessionFacts } from './session-facts.js';
import { TABS, type Tab } from './state.js';
import { clip, terminalSafe, type Line } from './text-line.js';

export interface DetailViewProps {
  session: Session;
  facts: SessionFacts;
  tab: Tab;
  lines: readonly Line[];
  scroll: number;
  height: number;
  width: number;
}

export function detailHeadline(s: Session, f: SessionFacts): string {
  return `session ${escapeInline(s.id)}  ${s.mode}  ${f.client} -> ${f.frontend} -> ${f.server}  ${f.time}  ${((s.end - s.start) * 1000).toFixed(3)} ms  ${f.bytesUp}/${f.bytesDown} B${f.drops > 0 ? `  ${f.drops} drop(s)` : ''}`;
}

export function TabBar({ tab, width }: { tab: Tab; width: number }) {
  return (
    <Text wrap="truncate">
      {TABS.map((t, i) => (
        <Text key={t} {...(t === tab ? { inverse: true, bold: true } : { dimColor: true })}>
          {` ${i + 1} ${t} `}
        </Text>
      ))}
      <Text dimColor>{clip('  Tab/1-4 switch, Esc back', Math.max(0, width - 44))}</Text>
    </Text>
  );
}

export function DetailView({ session, facts, tab, lines, scroll, height, width }: DetailViewProps) {
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate" {...(facts.drops > 0 ? { color: 'red' } : facts.abnormal ? { color: 'yellow' } : {})}>
        {terminalSafe(clip(detailHeadline(session, facts), width))}
      </Text>
      <TabBar tab={tab} width={width} />
      <LinesView lines={lines} offset={scroll} height={height} width={width} />
    </Box>
  );
}
