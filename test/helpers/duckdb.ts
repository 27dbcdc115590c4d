import { DuckDBInstance } from "@duckdb/node-api";

/** Rows of a query run by DuckDB: the independent parquet reader our tests check against. */
export async function duckRows(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJS();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** SPEC's fit file (knn_v1.parquet) as DuckDB reads it: its 10 columns, in order, with their SQL types. */
export const FIT_SQL_TYPES: Readonly<Record<string, string>> = {
  episode_id: "VARCHAR",
  host_id: "VARCHAR",
  profile: "VARCHAR",
  x: "FLOAT",
  y: "FLOAT",
  z: "FLOAT",
  phase_int: "TINYINT",
  predicted_int: "TINYINT",
  cluster: "INTEGER",
  is_train: "BOOLEAN",
};

/** DuckDB's column name → type (VARCHAR, FLOAT, TINYINT, ...) for a parquet file. */
export async function duckTypes(path: string): Promise<Record<string, string>> {
  const rows = await duckRows(`describe select * from read_parquet('${path}')`);
  return Object.fromEntries(rows.map((r) => [String(r.column_name), String(r.column_type)]));
}

/** Per column: its compression codecs and encodings, from parquet_metadata(). */
export async function duckChunks(path: string): Promise<{ column: string; compression: string; encodings: string }[]> {
  const rows = await duckRows(`select path_in_schema, compression, encodings from parquet_metadata('${path}') order by column_id`);
  return rows.map((r) => ({ column: String(r.path_in_schema), compression: String(r.compression), encodings: String(r.encodings) }));
}
