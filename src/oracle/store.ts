/**
 * The oracle's durable state in SQLite (WAL). The scheduler keeps its working
 * set in memory and writes every change through here before it tells anyone,
 * so a restart resumes exactly where the last acknowledged change left off.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AttemptOutcome, BlobRef, GraphStatus, OpStatus } from '../protocol/index.js';
import type { PenaltyState } from './penalties.js';

/** Each entry upgrades the schema by one version; never edit one that shipped. */
const MIGRATIONS: string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE graphs (
     id TEXT PRIMARY KEY, seq INTEGER NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL,
     gas REAL NOT NULL, price TEXT NOT NULL, owner TEXT, created_at INTEGER NOT NULL,
     ended_at INTEGER, error TEXT);
   CREATE INDEX graphs_status ON graphs (status);
   CREATE TABLE ops (
     graph_id TEXT NOT NULL, op_id TEXT NOT NULL, idx INTEGER NOT NULL, status TEXT NOT NULL,
     device_ids TEXT, output TEXT, produced_by TEXT, failures INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (graph_id, op_id));
   CREATE TABLE attempts (
     task_id TEXT PRIMARY KEY, graph_id TEXT NOT NULL, op_id TEXT NOT NULL, attempt INTEGER NOT NULL,
     prover_id TEXT NOT NULL, started_at INTEGER NOT NULL, accepted_at INTEGER, ended_at INTEGER,
     deadline INTEGER NOT NULL, outcome TEXT, reason TEXT, outputs TEXT, signature TEXT);
   CREATE INDEX attempts_op ON attempts (graph_id, op_id);
   CREATE TABLE provers (
     id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, public_key TEXT NOT NULL, seq INTEGER NOT NULL,
     device TEXT, power TEXT, task_types TEXT, slots INTEGER NOT NULL DEFAULT 1,
     first_seen INTEGER NOT NULL, last_seen INTEGER,
     consecutive_failures INTEGER NOT NULL DEFAULT 0, excluded_until INTEGER, banned INTEGER NOT NULL DEFAULT 0);
   CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, created_at INTEGER NOT NULL);
   CREATE TABLE tokens (hash TEXT PRIMARY KEY, role TEXT NOT NULL, label TEXT, created_at INTEGER NOT NULL);`,
  // 2: whether each result's proof verified.
  `ALTER TABLE attempts ADD COLUMN verified INTEGER;`,
  // 3: the metrics an agent reported with its result.
  `ALTER TABLE attempts ADD COLUMN metrics TEXT;`,
  // 4: a requester's own graphs, newest first, without reading everyone's.
  `CREATE INDEX graphs_owner ON graphs (owner, seq);`,
  // 5: retention. Which graph keeps which blob (its params' references and its ops' outputs), filled in for the graphs stored so far.
  `CREATE TABLE blob_refs (graph_id TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (graph_id, sha256)) WITHOUT ROWID;
   CREATE INDEX blob_refs_sha256 ON blob_refs (sha256);
   CREATE INDEX graphs_ended ON graphs (ended_at);
   CREATE INDEX blobs_created ON blobs (created_at);
   INSERT OR IGNORE INTO blob_refs (graph_id, sha256)
     SELECT g.id, t.value FROM graphs g, json_tree(g.body) t WHERE t.key = 'blob' AND t.type = 'text';
   INSERT OR IGNORE INTO blob_refs (graph_id, sha256)
     SELECT o.graph_id, json_extract(j.value, '$.sha256') FROM ops o, json_each(o.output) j WHERE o.output IS NOT NULL;`,
];

export interface GraphRow {
  id: string;
  seq: number;
  body: string;
  status: GraphStatus;
  gas: number;
  price: string;
  owner: string | null;
  created_at: number;
  ended_at: number | null;
  error: string | null;
}

export interface OpRow {
  graph_id: string;
  op_id: string;
  idx: number;
  status: OpStatus;
  device_ids: string | null;
  output: string | null;
  produced_by: string | null;
  failures: number;
}

export interface AttemptRow {
  task_id: string;
  graph_id: string;
  op_id: string;
  attempt: number;
  prover_id: string;
  started_at: number;
  accepted_at: number | null;
  ended_at: number | null;
  deadline: number;
  outcome: AttemptOutcome | null;
  reason: string | null;
  outputs: string | null;
  signature: string | null;
  verified: number | null;
  metrics: string | null;
}

export interface ProverRow {
  id: string;
  name: string;
  public_key: string;
  seq: number;
  device: string | null;
  power: string | null;
  task_types: string | null;
  slots: number;
  first_seen: number;
  last_seen: number | null;
  consecutive_failures: number;
  excluded_until: number | null;
  banned: number;
}

export class OracleStore {
  readonly db: Database.Database;
  private readonly stmt;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.db = new Database(join(dataDir, 'oracle.sqlite'));
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode is durable across process crashes (only a power loss may drop the last commits).
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    const db = this.db;
    this.stmt = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      insertGraph: db.prepare(
        'INSERT INTO graphs (id, seq, body, status, gas, price, owner, created_at) VALUES (@id, @seq, @body, @status, @gas, @price, @owner, @created_at)',
      ),
      graphStatus: db.prepare('UPDATE graphs SET status = ?, ended_at = ?, error = ? WHERE id = ?'),
      insertOp: db.prepare('INSERT INTO ops (graph_id, op_id, idx, status) VALUES (?, ?, ?, ?)'),
      updateOp: db.prepare(
        'UPDATE ops SET status = @status, device_ids = @device_ids, output = @output, produced_by = @produced_by, failures = @failures WHERE graph_id = @graph_id AND op_id = @op_id',
      ),
      insertAttempt: db.prepare(
        'INSERT INTO attempts (task_id, graph_id, op_id, attempt, prover_id, started_at, deadline) VALUES (@task_id, @graph_id, @op_id, @attempt, @prover_id, @started_at, @deadline)',
      ),
      acceptAttempt: db.prepare('UPDATE attempts SET accepted_at = ? WHERE task_id = ?'),
      endAttempt: db.prepare(
        'UPDATE attempts SET ended_at = @ended_at, outcome = @outcome, reason = @reason, outputs = @outputs, signature = @signature, verified = @verified, metrics = @metrics WHERE task_id = @task_id',
      ),
      upsertProver: db.prepare(
        `INSERT INTO provers (id, name, public_key, seq, device, power, task_types, slots, first_seen, last_seen, consecutive_failures, excluded_until, banned)
         VALUES (@id, @name, @public_key, @seq, @device, @power, @task_types, @slots, @first_seen, @last_seen, @consecutive_failures, @excluded_until, @banned)
         ON CONFLICT (id) DO UPDATE SET device = excluded.device, power = excluded.power, task_types = excluded.task_types,
           slots = excluded.slots, last_seen = excluded.last_seen, consecutive_failures = excluded.consecutive_failures,
           excluded_until = excluded.excluded_until, banned = excluded.banned`,
      ),
      touchProver: db.prepare('UPDATE provers SET last_seen = ? WHERE id = ?'),
      penalty: db.prepare('UPDATE provers SET consecutive_failures = ?, excluded_until = ?, banned = ? WHERE id = ?'),
      insertBlob: db.prepare('INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?, ?, ?)'),
      // created_at is when the blob was last uploaded: uploading it again restarts its retention.
      touchBlob: db.prepare('UPDATE blobs SET created_at = MAX(created_at, ?) WHERE sha256 = ?'),
      insertRef: db.prepare('INSERT OR IGNORE INTO blob_refs (graph_id, sha256) VALUES (?, ?)'),
      getBlob: db.prepare<[string], { size: number }>('SELECT size FROM blobs WHERE sha256 = ?'),
      insertToken: db.prepare('INSERT INTO tokens (hash, role, label, created_at) VALUES (?, ?, ?, ?)'),
      getToken: db.prepare<[string], { role: string; label: string | null }>('SELECT role, label FROM tokens WHERE hash = ?'),
    };
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++)
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
  }

  /** Runs `fn` in one transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    return this.db.inTransaction ? fn() : this.db.transaction(fn)();
  }

  meta(key: string): string | null {
    return this.stmt.getMeta.get(key)?.value ?? null;
  }
  setMeta(key: string, value: string): void {
    this.stmt.setMeta.run(key, value);
  }

  /** A new graph with its ops and the blobs its params reference (kept while the graph is). */
  insertGraph(row: Omit<GraphRow, 'ended_at' | 'error'>, ops: { op_id: string; idx: number; status: OpStatus }[], blobs: Iterable<string>): void {
    this.transaction(() => {
      this.stmt.insertGraph.run(row);
      for (const op of ops) this.stmt.insertOp.run(row.id, op.op_id, op.idx, op.status);
      for (const sha of blobs) this.stmt.insertRef.run(row.id, sha);
    });
  }
  setGraphStatus(id: string, status: GraphStatus, endedAt: number | null, error: string | null = null): void {
    this.stmt.graphStatus.run(status, endedAt, error, id);
  }
  updateOp(op: { graph_id: string; op_id: string; status: OpStatus; device_ids: string[] | null; output: BlobRef[] | null; produced_by: string | null; failures: number }): void {
    for (const o of op.output ?? []) this.stmt.insertRef.run(op.graph_id, o.sha256);
    this.stmt.updateOp.run({
      ...op,
      device_ids: op.device_ids ? JSON.stringify(op.device_ids) : null,
      output: op.output ? JSON.stringify(op.output) : null,
    });
  }
  insertAttempt(row: Pick<AttemptRow, 'task_id' | 'graph_id' | 'op_id' | 'attempt' | 'prover_id' | 'started_at' | 'deadline'>): void {
    this.stmt.insertAttempt.run(row);
  }
  acceptAttempt(taskId: string, at: number): void {
    this.stmt.acceptAttempt.run(at, taskId);
  }
  endAttempt(row: { task_id: string; ended_at: number; outcome: AttemptOutcome; reason: string | null; outputs: BlobRef[] | null; signature: string | null; verified: boolean | null; metrics: Record<string, number> | null }): void {
    this.stmt.endAttempt.run({
      ...row,
      outputs: row.outputs ? JSON.stringify(row.outputs) : null,
      verified: row.verified === null ? null : row.verified ? 1 : 0,
      metrics: row.metrics ? JSON.stringify(row.metrics) : null,
    });
  }

  upsertProver(row: ProverRow): void {
    this.stmt.upsertProver.run(row);
  }
  touchProver(id: string, at: number): void {
    this.stmt.touchProver.run(at, id);
  }
  setPenalty(id: string, p: PenaltyState): void {
    this.stmt.penalty.run(p.consecutiveFailures, p.excludedUntil, p.banned ? 1 : 0, id);
  }

  insertBlob(sha256: string, size: number, at: number): void {
    this.stmt.insertBlob.run(sha256, size, at);
  }
  touchBlob(sha256: string, at: number): void {
    this.stmt.touchBlob.run(at, sha256);
  }

  /**
   * Retention: deletes up to `maxGraphs` graphs that ended before `cutoff`
   * (with their ops, attempts and blob references), then the blobs uploaded
   * before it that no stored graph references. Returns how many graphs went and which blobs,
   * whose files the caller removes.
   */
  expire(cutoff: number, maxGraphs: number): { graphs: number; blobs: string[] } {
    return this.transaction(() => {
      const ids = this.db.prepare<[number, number], { id: string }>('SELECT id FROM graphs WHERE ended_at < ? LIMIT ?').all(cutoff, maxGraphs);
      const drop = ['attempts', 'ops', 'blob_refs'].map((table) => this.db.prepare(`DELETE FROM ${table} WHERE graph_id = ?`));
      const dropGraph = this.db.prepare('DELETE FROM graphs WHERE id = ?');
      for (const { id } of ids) {
        for (const stmt of drop) stmt.run(id);
        dropGraph.run(id);
      }
      const blobs = this.db
        .prepare<[number], { sha256: string }>('SELECT sha256 FROM blobs WHERE created_at < ? AND sha256 NOT IN (SELECT sha256 FROM blob_refs)')
        .all(cutoff)
        .map((r) => r.sha256);
      const dropBlob = this.db.prepare('DELETE FROM blobs WHERE sha256 = ?');
      for (const sha of blobs) dropBlob.run(sha);
      return { graphs: ids.length, blobs };
    });
  }

  blobSize(sha256: string): number | null {
    return this.stmt.getBlob.get(sha256)?.size ?? null;
  }
  insertToken(hash: string, role: string, label: string | null, at: number): void {
    this.stmt.insertToken.run(hash, role, label, at);
  }
  /** Requester tokens, oldest first, by hash (the `owner` of their graphs). */
  requesterTokens(): { hash: string; label: string | null; created_at: number }[] {
    return this.db.prepare<[], { hash: string; label: string | null; created_at: number }>("SELECT hash, label, created_at FROM tokens WHERE role = 'requester' ORDER BY created_at, hash").all();
  }
  /** Deletes a token of the role; whether there was one. */
  deleteToken(hash: string, role: 'operator' | 'requester'): boolean {
    return this.db.prepare('DELETE FROM tokens WHERE hash = ? AND role = ?').run(hash, role).changes > 0;
  }
  /** Replaces every operator token with this one. */
  replaceOperatorToken(hash: string, at: number): void {
    this.transaction(() => {
      this.db.prepare("DELETE FROM tokens WHERE role = 'operator'").run();
      this.insertToken(hash, 'operator', 'operator', at);
    });
  }
  token(hash: string): { role: string; label: string | null } | null {
    return this.stmt.getToken.get(hash) ?? null;
  }

  /** Everything a restarted scheduler needs: unfinished graphs with their ops and attempts, all provers. */
  loadState() {
    const graphs = this.db.prepare<[], GraphRow>("SELECT * FROM graphs WHERE status IN ('pending', 'running') ORDER BY seq").all();
    const opsOf = this.db.prepare<[string], OpRow>('SELECT * FROM ops WHERE graph_id = ? ORDER BY idx');
    const attemptsOf = this.db.prepare<[string], AttemptRow>('SELECT * FROM attempts WHERE graph_id = ? ORDER BY started_at, attempt');
    return {
      graphs: graphs.map((g) => ({ graph: g, ops: opsOf.all(g.id), attempts: attemptsOf.all(g.id) })),
      provers: this.db.prepare<[], ProverRow>('SELECT * FROM provers ORDER BY seq').all(),
      maxGraphSeq: (this.db.prepare('SELECT MAX(seq) AS m FROM graphs').get() as { m: number | null }).m ?? 0,
    };
  }

  /** A finished graph, read back for GET /v1/graphs/:id after it left memory. */
  finishedGraph(id: string) {
    const graph = this.db.prepare<[string], GraphRow>('SELECT * FROM graphs WHERE id = ?').get(id);
    if (!graph) return null;
    return {
      graph,
      ops: this.db.prepare<[string], OpRow>('SELECT * FROM ops WHERE graph_id = ? ORDER BY idx').all(id),
      attempts: this.db.prepare<[string], AttemptRow>('SELECT * FROM attempts WHERE graph_id = ? ORDER BY started_at, attempt').all(id),
    };
  }

  /** The latest `limit` graphs, newest first: everyone's when `owner` is null, else that requester's. */
  listGraphs(limit: number, owner: string | null): Pick<GraphRow, 'id' | 'status' | 'created_at' | 'ended_at' | 'gas' | 'price' | 'owner'>[] {
    const columns = 'SELECT id, status, created_at, ended_at, gas, price, owner FROM graphs';
    const rows =
      owner === null
        ? this.db.prepare(`${columns} ORDER BY seq DESC LIMIT ?`).all(limit)
        : this.db.prepare(`${columns} WHERE owner = ? ORDER BY seq DESC LIMIT ?`).all(owner, limit);
    return rows as Pick<GraphRow, 'id' | 'status' | 'created_at' | 'ended_at' | 'gas' | 'price' | 'owner'>[];
  }

  close(): void {
    this.db.close();
  }
}
