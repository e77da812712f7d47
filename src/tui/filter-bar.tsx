/**
 * The filter bar: the expression as typed, parsed on every key; a syntax error is shown in
 * place, a caret under the faulty position and the message after it.
 */
import { Box, Text } from 'ink';
import type { CompiledFilter } from './filter.js';
import { clip, terminalSafe } from './text-line.js';

export interface FilterBarProps {
  input: string;
  editing: boolean;
  compiled: CompiledFilter;
  width: number;
}

const PROMPT = '/ ';

/** The caret line for an error at `pos` spanning to `end`, under PROMPT + input. */
export function caretLine(pos: number, end: number, message: string, width: number): string {
  const marks = '^'.repeat(Math.max(1, end - pos));
  return clip(`${' '.repeat(PROMPT.length + pos)}${marks} ${message}`, width);
}

export function filterBarHeight(p: { editing: boolean; compiled: CompiledFilter }): number {
  return !p.compiled.ok ? 2 : 1;
}

export function FilterBar({ input, editing, compiled, width }: FilterBarProps) {
  const text = terminalSafe(input);
  if (!editing && input === '') {
    return <Text dimColor wrap="truncate">{clip('/ to filter: server web1 & status 5xx, term sD, drops, !host x... (? for help)', width)}</Text>;
  }
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text color={compiled.ok ? 'green' : 'red'} bold>{PROMPT}</Text>
        <Text>{clip(text, Math.max(1, width - PROMPT.length - 1))}</Text>
        {editing ? <Text inverse> </Text> : <Text dimColor>{compiled.ok ? '' : '  (not applied)'}</Text>}
      </Text>
      {!compiled.ok ? <Text color="red" wrap="truncate">{terminalSafe(caretLine(compiled.error.pos, compiled.error.end, compiled.error.message, width))}</Text> : null}
    </Box>
  );
}
