import { validateGraph } from '/work/main/src/oracle/graph.ts';
import { DEFAULT_CATALOG } from '/work/main/src/oracle/config.ts';
const graph = { name: 'bench', ops: Array.from({ length: 10000 }, (_, i) => ({ id: `op${i}`, name: 'zkp-singleton', workload: { msm: [1 << 16], ntt: [1 << 16] } })) };
for (let r = 0; r < 3; r++) {
  let t = performance.now();
  const res = validateGraph(JSON.parse(JSON.stringify(graph)), { catalog: DEFAULT_CATALOG, couldEverMatch: () => true, blobExists: () => true });
  console.log('validate', (performance.now() - t).toFixed(1), res.ok);
}
const { GraphSchema } = await import('/work/main/src/protocol/graph.ts');
let t = performance.now(); GraphSchema.safeParse(graph); console.log('zod', (performance.now() - t).toFixed(1));
const { estimateWorkload } = await import('/work/main/src/gas/index.ts');
t = performance.now(); for (let i = 0; i < 10000; i++) estimateWorkload({ msm: [1 << 16], ntt: [1 << 16] }); console.log('gas', (performance.now() - t).toFixed(1));
