/**
 * Every area of the screen is a list of styled one-row lines, so the frame
 * has exactly the terminal's height whatever the content: nothing wraps,
 * nothing scrolls the terminal, and unchanged rows are not redrawn.
 */
import { Box, Text } from 'ink';
import React, { createContext, useContext } from 'react';

export type Colour = 'red' | 'yellow' | 'green' | 'blue' | 'cyan' | 'magenta' | 'gray' | 'white';

export interface Segment {
  /** Already safe for the terminal (see `terminalSafe`). */
  text: string;
  color?: Colour;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
  underline?: boolean;
}

export type Line = Segment[];

/** Whether colours are drawn (off with NO_COLOR); bold/inverse stay, they carry the selection. */
export const ColourContext = createContext(true);

export const plain = (text: string): Line => [{ text }];

/** Pads (or cuts) a line's text to `width` characters so a selected or coloured row spans the screen. */
export function padLine(line: Line, width: number): Line {
  const length = line.reduce((sum, segment) => sum + [...segment.text].length, 0);
  if (length >= width || line.length === 0) return line;
  const last = line[line.length - 1]!;
  return [...line.slice(0, -1), { ...last, text: last.text + ' '.repeat(width - length) }];
}

function LineView({ line }: { line: Line }): React.JSX.Element {
  const colour = useContext(ColourContext);
  if (line.length === 0) return <Text> </Text>;
  return (
    <Text wrap="truncate-end">
      {line.map((segment, index) => (
        <Text key={index} color={colour ? segment.color : undefined} bold={segment.bold} dimColor={colour ? segment.dim : undefined} inverse={segment.inverse} underline={segment.underline}>
          {segment.text}
        </Text>
      ))}
    </Text>
  );
}

/** Exactly `height` rows: the lines from `offset`, blank rows below when there are fewer. */
export function LinesView({ lines, height, offset = 0 }: { lines: readonly Line[]; height: number; offset?: number }): React.JSX.Element {
  const shown = lines.slice(offset, offset + Math.max(0, height));
  while (shown.length < height) shown.push([]);
  return (
    <Box flexDirection="column" height={Math.max(0, height)} flexShrink={0}>
      {shown.map((line, index) => (
        <LineView key={index} line={line} />
      ))}
    </Box>
  );
}
