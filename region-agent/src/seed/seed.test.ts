import { describe, expect, it } from 'vitest';
import { restoreList } from './seed.js';

describe('restoreList', () => {
  it('keeps user objects and replicated borealis data, drops the borealis machinery', () => {
    const toc = [
      ';',
      '; Archive created at 2026-11-23',
      '5; 2615 16385 SCHEMA - borealis borealis',
      '220; 1259 16386 TABLE borealis heartbeat borealis',
      '221; 1255 16400 FUNCTION borealis log_ddl() borealis',
      '230; 1259 16420 TABLE public items borealis',
      '3400; 0 16386 TABLE DATA borealis heartbeat borealis',
      '3401; 0 16390 TABLE DATA borealis ddl_log borealis',
      '3402; 0 16395 TABLE DATA borealis apply_position borealis',
      '3403; 0 16420 TABLE DATA public items borealis',
      '3404; 0 0 SEQUENCE SET borealis ddl_log_id_seq borealis',
      '3405; 3466 16430 EVENT TRIGGER - borealis_ddl borealis',
    ].join('\n');
    const kept = restoreList(toc).split('\n');
    expect(kept).toEqual([
      ';',
      '; Archive created at 2026-11-23',
      '230; 1259 16420 TABLE public items borealis',
      '3400; 0 16386 TABLE DATA borealis heartbeat borealis',
      '3401; 0 16390 TABLE DATA borealis ddl_log borealis',
      '3403; 0 16420 TABLE DATA public items borealis',
      '3404; 0 0 SEQUENCE SET borealis ddl_log_id_seq borealis',
    ]);
  });
});
